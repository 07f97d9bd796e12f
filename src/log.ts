// Operator log: `YYYY-MM-DD HH:mm:ss [level] message`, one line per action. Shell (winston).
// Secrets (passwords, password-file contents) must never be passed in a message; as a second
// line of defence, createLogger() replaces every known secret by `***` in every line it writes.
import winston from 'winston';
import type { Config } from './config/types.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The logging interface every module takes (injected; tests pass a recording logger). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  readonly level: LogLevel;
}

/** A logger that records lines in memory: for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const order: LogLevel[] = ['error', 'warn', 'info', 'debug'];
  const at = (l: LogLevel) => (m: string): void => {
    if (order.indexOf(l) <= order.indexOf(level)) lines.push(`[${l}] ${m}`);
  };
  return { lines, level, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** Replacement for a redacted secret. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of every non-blank secret in `text` by `***` (longest secrets first,
 * so a secret that contains another is still hidden whole). Pure.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of sortedSecrets(secrets)) out = out.split(s).join(REDACTED);
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
export function collectSecrets(config: Config, readFile: (path: string) => string | undefined): string[] {
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

export interface CreateLoggerOptions {
  /** Lowest level written: `debug` when the config has `<debug start="true">`, else `info`. */
  readonly level: LogLevel;
  /** Append to this file. Without it lines go to `stream` (default: stdout). */
  readonly file?: string;
  /** Written over instead of stdout when `file` is not set (tests pass an in-memory stream). */
  readonly stream?: NodeJS.WritableStream;
  /** Strings that must never appear in a line (passwords, password-file contents). */
  readonly secrets: readonly string[];
}

/** A Logger that can flush its output before the process exits. */
export interface ClosableLogger extends Logger {
  /** Flushes and closes the output (a file transport writes asynchronously). Logging after it is a no-op. */
  close(): Promise<void>;
}

/**
 * The daemon's logger (winston): `2026-01-31 12:00:00 [info] message` lines, local time.
 * Every message, at every level, is passed through `redact(message, secrets)` before it is
 * formatted, so no configured secret is ever written, not even in debug output.
 */
export function createLogger(opts: CreateLoggerOptions): ClosableLogger {
  const secrets = sortedSecrets(opts.secrets);
  const { combine, timestamp, printf } = winston.format;
  const transport =
    opts.file === undefined
      ? new winston.transports.Stream({ stream: opts.stream ?? process.stdout })
      : new winston.transports.File({ filename: opts.file });
  const w = winston.createLogger({
    level: opts.level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: combine(
      timestamp({ format: 'YYYY-MM-DD HH:mm:ss' }),
      printf((info) => `${String(info['timestamp'])} [${info.level}] ${String(info.message)}`),
    ),
    // winston's typings declare its transport instances as interfaces extending the Transport
    // class, which this rule cannot tell apart from a forged object; they are real instances.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    transports: [transport],
  });
  let closed = false;
  const at = (level: LogLevel) => (message: string): void => {
    if (!closed) w.log(level, redact(message, secrets));
  };
  return {
    level: opts.level,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) {
          resolve();
          return;
        }
        closed = true;
        if (opts.file === undefined) {
          resolve(); // stdout / the caller's stream stays open: it is not ours to end
          return;
        }
        transport.once('finish', () => {
          setImmediate(resolve);
        });
        w.end();
      }),
  };
}
