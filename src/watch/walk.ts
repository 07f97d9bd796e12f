// The recursive directory walk of both watcher backends and of the worker's full-sync exclude walk
// (workers/rsync-worker.ts), all with the one exclude verdict (exclude-match.ts): readdir
// with d_type, lstat only for DT_UNKNOWN or when statWalk (`<fileSystem xfs>`) is set, excluded
// entries neither reported nor entered, symlinks never followed. Shell (file system).
//
// Names are bytes: a directory is read as strings (the fast path) and, only when a name came back
// lossy (U+FFFD: the bytes were not UTF-8), read again as Buffers and every name decoded
// (decodeName), so the walk reports BytePaths; every fs call takes fsPath().
import { lstat, readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { decodeName, fsPath, mayBeLossy, type BytePath } from '../util/byte-names.js';
import { joinRel } from './watch-table.js';

/** One entry found by the walk. */
export interface WalkEntry {
  /** Path relative to the walk's root, '/'-separated. */
  readonly relPath: string;
  readonly isDir: boolean;
}

/** What the walk does and reports. */
export interface WalkOptions {
  /** Absolute root the relative paths are based on. */
  readonly root: string;
  /** Relative directory to start from ('' = the root). */
  readonly start?: string;
  /** True when an entry must be skipped (not reported; a directory is not entered). */
  readonly isExcluded: (relPath: string, isDir: boolean) => boolean;
  /** `<fileSystem xfs>`: lstat every entry instead of trusting d_type. */
  readonly statWalk: boolean;
  /**
   * Called for every directory (the start directory first) BEFORE its entries are read, so a
   * watch added here sees everything created after the read begins. Return false to not read it.
   */
  readonly enterDir?: (relPath: string) => boolean;
  /** Called for every non-excluded entry below the start directory. */
  readonly onEntry?: (entry: WalkEntry) => void;
  /** Called for unexpected errors (EACCES, EIO…); ENOENT/ENOTDIR races are silent. */
  readonly onError?: (relPath: string, error: NodeJS.ErrnoException) => void;
  /** Directories read in parallel (default 8). */
  readonly concurrency?: number;
}

/** Summary of a walk. */
export interface WalkStats {
  readonly dirs: number;
  readonly entries: number;
}

function isRace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A directory entry: its BytePath name and its d_type. */
type Entry = Pick<
  Dirent,
  | 'isDirectory'
  | 'isFile'
  | 'isSymbolicLink'
  | 'isFIFO'
  | 'isSocket'
  | 'isBlockDevice'
  | 'isCharacterDevice'
> & { readonly name: BytePath };

/** The entries of directory `abs`, names lossless (see the header). Throws readdir's error. */
export async function readDir(abs: BytePath): Promise<Entry[]> {
  const list = await readdir(fsPath(abs), { withFileTypes: true });
  if (!list.some((d) => mayBeLossy(d.name))) return list;
  const raw = await readdir(fsPath(abs), { withFileTypes: true, encoding: 'buffer' });
  return raw.map((d) => Object.assign(d, { name: decodeName(d.name) }) as unknown as Entry);
}

async function entryIsDir(
  abs: BytePath,
  d: Entry,
  statWalk: boolean,
): Promise<boolean | undefined> {
  const known =
    d.isDirectory() ||
    d.isFile() ||
    d.isSymbolicLink() ||
    d.isFIFO() ||
    d.isSocket() ||
    d.isBlockDevice() ||
    d.isCharacterDevice();
  if (known && !statWalk) return d.isDirectory();
  try {
    return (await lstat(fsPath(abs))).isDirectory();
  } catch (e) {
    if (isRace(e)) return undefined;
    throw e;
  }
}

/**
 * Walks the tree below `start`. Directories are visited parents first; no ordering between
 * siblings is guaranteed. Resolves when every reachable directory was read.
 */
export async function walk(opts: WalkOptions): Promise<WalkStats> {
  const start = opts.start ?? '';
  const queue: string[] = [start];
  let dirs = 0;
  let entries = 0;
  let active = 0;
  const concurrency = Math.max(1, opts.concurrency ?? 8);

  const visit = async (rel: string): Promise<void> => {
    if (opts.enterDir && !opts.enterDir(rel)) return;
    dirs++;
    const abs = rel === '' ? opts.root : join(opts.root, rel);
    let list: Entry[];
    try {
      list = await readDir(abs);
    } catch (e) {
      if (!isRace(e)) opts.onError?.(rel, e as NodeJS.ErrnoException);
      return;
    }
    for (const d of list) {
      const childRel = joinRel(rel, d.name);
      let isDir: boolean | undefined;
      try {
        isDir = await entryIsDir(join(abs, d.name), d, opts.statWalk);
      } catch (e) {
        opts.onError?.(childRel, e as NodeJS.ErrnoException);
        continue;
      }
      if (isDir === undefined || opts.isExcluded(childRel, isDir)) continue;
      entries++;
      opts.onEntry?.({ relPath: childRel, isDir });
      if (isDir) queue.push(childRel);
    }
  };

  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (active < concurrency && queue.length > 0) {
        const next = queue.pop();
        if (next === undefined) break;
        active++;
        visit(next).then(() => {
          active--;
          pump();
        }, reject);
      }
      if (active === 0 && queue.length === 0) resolve();
    };
    pump();
  });
  return { dirs, entries };
}
