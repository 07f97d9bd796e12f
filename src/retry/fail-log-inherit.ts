// Reads the entries a fail log holds at start (sersync2's `#errno` + command, or ours) back into
// changes of our targets: same watch root, same destination. What belongs to none of them is
// kept verbatim. Shell: reads the file without following a link, lstats the paths. The file's
// text is its bytes through decodeName (a raw byte of a name, or of an entry kept verbatim,
// survives); paths are BytePaths (fsPath for every fs call).
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
} from 'node:fs';
import { decodeName, displayName, encodeName, fsPath } from '../util/byte-names.js';
import { notOurs } from '../util/safe-fs.js';
import { join } from 'node:path';
import type { Change, Target } from '../queue/types.js';
import {
  parseFailLog,
  parseOriginalCommand,
  replayTargets,
  type FailLogCommand,
} from './fail-log.js';

/** A path found in the fail log, to queue again for `target`. */
export interface InheritedChange {
  readonly target: Target;
  readonly change: Change;
  /** The `#errno` it was written with (-1 when it had none). */
  readonly status: number;
}

export interface SplitFailLog {
  /** Entries of no target of ours, as found (`#errno` + text). */
  readonly keep: { readonly status: number | undefined; readonly text: string }[];
  readonly changes: InheritedChange[];
}

/** The shortest prefix of `path` (whole components) missing under `root`. */
function topmostMissing(root: string, path: string): string {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (lstatSync(fsPath(join(root, prefix)), { throwIfNoEntry: false }) === undefined)
      return prefix;
  }
  return path;
}

/** A relative path with no `..`, `.` or empty component. */
const plausible = (p: string): boolean =>
  p !== '' && !p.startsWith('/') && p.split('/').every((c) => c !== '' && c !== '.' && c !== '..');

/**
 * Splits `text` (a fail log) into the changes of `targets` and the rest. `commandFor(t)` is the
 * replay command of target t (its destination is read from it). The path's current state
 * decides: it exists -> upsert; it is gone -> remove, except for the original's push form (a
 * file created and deleted since: nothing to do, dropped).
 */
export function splitFailLog(
  text: string,
  targets: readonly Target[],
  commandFor: (t: Target) => FailLogCommand,
): SplitFailLog {
  const byPlace = new Map<string, Target>();
  for (const t of targets) {
    const dest = replayTargets(commandFor(t).argv)?.destination;
    if (dest !== undefined) byPlace.set(`${t.root}\0${dest}`, t);
  }
  const keep: SplitFailLog['keep'] = [];
  const changes: InheritedChange[] = [];
  const seen = new Set<string>();
  // 'mirror': our replay form (rsync --delete-missing-args): whatever the path is now.
  const take = (t: Target, path: string, op: 'upsert' | 'remove' | 'mirror', status: number) => {
    const id = `${t.key}\0${path}`;
    if (seen.has(id)) return;
    seen.add(id);
    const st = lstatSync(fsPath(join(t.root, path)), { throwIfNoEntry: false });
    if (st === undefined && op === 'upsert') return;
    if (st === undefined && !existsSync(fsPath(t.root))) return; // the root itself is gone: delete nothing
    // A gone path is removed from its topmost gone ancestor (as a realtime `rm -rf` would be):
    // rsync cannot delete `a/b` with --delete-missing-args when `a` vanished too (exit 24).
    const gone = st === undefined ? topmostMissing(t.root, path) : undefined;
    const change: Change =
      gone !== undefined
        ? { root: t.root, path: gone, op: 'remove', isDir: gone !== path }
        : { root: t.root, path, op: 'upsert', isDir: st?.isDirectory() ?? false };
    changes.push({ target: t, change, status });
  };
  for (const e of parseFailLog(text)) {
    const status = e.status ?? -1;
    if (e.kind === 'ours') {
      const r = replayTargets(e.argv);
      const t = r && byPlace.get(`${e.cwd}\0${r.destination}`);
      if (t !== undefined && r !== undefined && r.paths.every(plausible)) {
        for (const p of r.paths) take(t, p, 'mirror', status);
        continue;
      }
    } else {
      const o = parseOriginalCommand(e.text);
      const t = o && byPlace.get(`${o.cwd}\0${o.destination}`);
      if (t !== undefined && o !== undefined && plausible(o.path)) {
        take(t, o.path, o.op, status);
        continue;
      }
    }
    keep.push({ status: e.status, text: e.text });
  }
  return { keep, changes };
}

/** Reads the whole file through `fd`: its bytes as text (decodeName: lossless). */
export function readAll(fd: number, size: number): string {
  const buf = Buffer.alloc(size);
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) break;
    n += got;
  }
  return decodeName(buf.subarray(0, n));
}

/** The file as found at start: its text when it is ours to read, and whether others could write it. */
export function readAtStart(
  path: string,
  warn: (m: string) => void,
): { text: string; open: boolean; size: number } {
  let fd: number;
  try {
    fd = openSync(fsPath(path), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      warn(`the fail log ${displayName(path)} is a symbolic link: not read, it will be replaced`);
    else if (code !== 'ENOENT')
      warn(
        `cannot read the fail log ${displayName(path)}: ${e instanceof Error ? e.message : String(e)}`,
      );
    return { text: '', open: false, size: -1 };
  }
  try {
    const st = fstatSync(fd);
    const why = notOurs(st);
    if (why !== undefined) {
      warn(
        `the fail log ${displayName(path)} ${why}: its entries are not trusted, it will be replaced`,
      );
      return { text: '', open: false, size: -1 };
    }
    const text = readAll(fd, st.size);
    return { text, open: (st.mode & 0o022) !== 0, size: encodeName(text).length };
  } finally {
    closeSync(fd);
  }
}
