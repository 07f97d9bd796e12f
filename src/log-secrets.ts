// The secrets no log line and no status answer may show: collected from the config (refreshCDN
// passwords, http plugin URL passwords, the rsync password file), redacted by `redact`, and kept in
// a SecretBook that only ever grows: it re-reads its source (the password file) on demand (before
// each rsync run, on SIGHUP with the new config), so a secret changed on disk is hidden from the
// next line on, and an old one stays hidden for lines still in flight. Shell (reads the file).
import { readFileSync } from 'node:fs';
import { fsPath } from './util/byte-names.js';
import type { Config } from './config/types.js';

/** Replacement for a redacted secret. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of every non-blank secret in `text` by `***` (longest secrets first,
 * so a secret that contains another is still hidden whole). Pure.
 */
export function redact(text: string, secrets: readonly string[]): string {
  return redactSorted(text, sortedSecrets(secrets));
}

/** `redact` over secrets already deduplicated, non-blank and longest first (a book's list). */
function redactSorted(text: string, sorted: readonly string[]): string {
  let out = text;
  for (const s of sorted) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

function sortedSecrets(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => s.trim() !== ''))].sort((a, b) => b.length - a.length);
}

/**
 * Every secret the config names, for `createLogger({ secrets })`: refreshCDN `passwd`s, passwords
 * embedded in http plugin URLs, and the content of the rsync password file (whole and per line)
 * when auth is on. `readFile` returns the file's text, or undefined when it cannot be read.
 */
export function collectSecrets(
  config: Config,
  readFile: (path: string) => string | undefined,
): string[] {
  const secrets: string[] = [];
  for (const lp of config.plugins.refreshCDN?.localpaths ?? []) secrets.push(lp.cdninfo.passwd);
  for (const lp of config.plugins.http?.localpaths ?? []) {
    for (const d of lp.deshosts) {
      const pw = URL.canParse(d.url) ? new URL(d.url).password : '';
      if (pw !== '') secrets.push(pw, decodeURIComponent(pw));
    }
  }
  const { auth, ssh } = config.sersync.rsync;
  if (auth.enabled && !ssh.enabled && auth.passwordFile !== '') {
    const text = readFile(auth.passwordFile);
    if (text !== undefined) secrets.push(text.trim(), ...text.split(/\r?\n/).map((l) => l.trim()));
  }
  return sortedSecrets(secrets);
}

/** Every secret the config names, read from the file system now (a missing file adds none). */
export function configSecrets(config: Config): () => string[] {
  return () =>
    collectSecrets(config, (path) => {
      try {
        return readFileSync(fsPath(path), 'utf8');
      } catch {
        return undefined;
      }
    });
}

/** The secrets a logger redacts: grows only. */
export interface SecretBook {
  /** `text` with every known secret replaced by `***`. */
  readonly redact: (text: string) => string;
  /** The secrets known now, longest first. */
  readonly list: () => readonly string[];
  /** Asks the source again (the password file may have changed); new secrets are added. */
  readonly refresh: () => void;
  /**
   * Switches to another source (the new config on SIGHUP): the old source is asked once more,
   * then the new one; nothing known is forgotten.
   */
  readonly setSource: (source: () => readonly string[]) => void;
}

/** A book of `initial` plus what `source` returns, now and at each refresh. */
export function createSecretBook(
  initial: readonly string[],
  source?: () => readonly string[],
): SecretBook {
  let known = sortedSecrets(initial);
  let from = source;
  const learn = (more: readonly string[]): void => {
    if (more.some((s) => s.trim() !== '' && !known.includes(s)))
      known = sortedSecrets([...known, ...more]);
  };
  const refresh = (): void => {
    if (from !== undefined) learn(from());
  };
  refresh();
  return {
    redact: (text) => redactSorted(text, known),
    list: () => known,
    refresh,
    setSource(next) {
      refresh();
      from = next;
      refresh();
    },
  };
}
