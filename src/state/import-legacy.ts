// After an upgrade: the journal and ran-before marker of the old default state directory
// (`<dir of the fail log>/sersync-state`) copied into the new one, so that the first start of the
// new release replays what was pending and does its catch-up. Read without following a link,
// written through safe-fs (exclusive temp + rename); the old directory is left in place
// (docs/reliability.md). Called by the CLI with the state directory held. Shell over legacy.ts.
import { closeSync, constants, fstatSync, lstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { JOURNAL_FILE } from '../retry/journal.js';
import { checkHeader } from '../retry/journal-codec.js';
import { readOwnedFile, replaceFile } from '../util/safe-fs.js';
import { processLocations } from './locations.js';
import { judgeOldDir, legacyCandidate, RAN_BEFORE_FILE, type OldDirStat } from './legacy.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
const exists = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** lstat + an O_NOFOLLOW descriptor of `dir`; the stat is the descriptor's (what we read from). */
function openOldDir(dir: string): { st: OldDirStat; fd?: number } {
  const l = lstatSync(dir, { throwIfNoEntry: false });
  if (l === undefined) return { st: { kind: 'absent' } };
  if (l.isSymbolicLink()) return { st: { kind: 'link' } };
  if (!l.isDirectory()) return { st: { kind: 'not-dir' } };
  let fd: number;
  try {
    fd = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { st: { kind: 'link' } };
    return { st: { kind: 'unreadable', why: `it cannot be opened: ${message(e)}` } };
  }
  const f = fstatSync(fd);
  if (f.ino !== l.ino || f.dev !== l.dev) {
    closeSync(fd);
    return { st: { kind: 'link' } }; // swapped between lstat and open
  }
  return { st: { kind: 'dir', uid: f.uid, mode: f.mode }, fd };
}

/** A file of the directory open as `fd`: through /proc on Linux (no swap of the directory possible). */
const inside = (fd: number, dir: string, name: string): string =>
  exists('/proc/self/fd') ? `/proc/self/fd/${fd}/${name}` : join(dir, name);

/** Copies the old journal and ran-before marker into a fresh default state directory; logs what it did. */
export function importLegacyState(config: Config, logger: Pick<Logger, 'info' | 'warn'>): void {
  const to = config.sersync.failLog.stateDir;
  const from = legacyCandidate({
    stateDir: to,
    defaultStateDir: processLocations(config.file).stateDir,
    failLogPath: config.sersync.failLog.path,
    fresh: !exists(join(to, JOURNAL_FILE)) && !exists(join(to, RAN_BEFORE_FILE)),
  });
  if (from === undefined) return;
  const { st, fd } = openOldDir(from);
  try {
    const verdict = judgeOldDir(st, process.geteuid?.() ?? 0);
    if (verdict.action === 'ignore')
      logger.warn(
        `state: ignored the old state directory ${from}: ${verdict.why} (it may have been planted by another user; nothing imported)`,
      );
    if (verdict.action !== 'import' || fd === undefined) return;
    const imported = copyFiles(fd, from, to, logger);
    if (imported.length > 0)
      logger.info(
        `state: imported ${imported.join(' and ')} from the old state directory ${from} into ${to} (upgrade); ${from} is left in place, remove it once this version runs`,
      );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Copies one file: 'absent', 'copied', or why it was not. */
function copyOne(fd: number, from: string, to: string, name: string): string {
  const read = readOwnedFile(inside(fd, from, name));
  if (!read.ok) return read.error;
  if (read.value === undefined) return 'absent';
  if (name === JOURNAL_FILE && checkHeader(read.value) === 'foreign')
    return 'is not a sersync journal';
  try {
    replaceFile(join(to, name), read.value, 0o600); // exclusive temp + rename: never through a link
    return 'copied';
  } catch (e) {
    return `could not be copied: ${message(e)}`;
  }
}

/** The files copied; the journal first, and stop at a failure (the marker alone would mark the new dir as used). */
function copyFiles(fd: number, from: string, to: string, logger: Pick<Logger, 'warn'>): string[] {
  const done: string[] = [];
  for (const [name, what] of [
    [JOURNAL_FILE, 'the journal'],
    [RAN_BEFORE_FILE, 'the ran-before marker'],
  ] as const) {
    const r = copyOne(fd, from, to, name);
    if (r === 'copied') done.push(what);
    else if (r !== 'absent') {
      logger.warn(`state: ${join(from, name)} ${r}; not imported`);
      break;
    }
  }
  return done;
}
