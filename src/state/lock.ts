// One instance per state directory: an exclusive flock(2) on the directory's descriptor, held
// until the process exits (the kernel drops it even after kill -9). Without the native addon
// (the @parcel/watcher platforms, a failed build) a lock file created O_EXCL holding the pid,
// with a liveness check, stands in (docs/reliability.md). Shell.
//
//   flock(dirFd, LOCK_EX|LOCK_NB) --0--> held (pid written to <dir>/lock for the message)
//        \--EWOULDBLOCK--> 'held-elsewhere' (pid read from <dir>/lock)
//   no addon: O_EXCL <dir>/lock --ok--> held (removed at exit)
//        \--EEXIST--> pid live? --yes--> 'held-elsewhere' ; --no--> remove stale, try once more
import { closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isLiveSersync } from '../daemonize.js';
import { createExclusive, replaceFile } from '../util/safe-fs.js';
import { err, ok, type Result } from '../util/result.js';
import { findAddon } from '../watch/native-binding.js';

/** The file in the state directory naming the pid that holds it. */
export const LOCK_FILE = 'lock';

export type LockFailure =
  | { readonly kind: 'held-elsewhere'; readonly dir: string; readonly pid: number | undefined }
  | { readonly kind: 'lock-failed'; readonly dir: string; readonly message: string };

export interface StateLock {
  readonly dir: string;
  readonly how: 'flock' | 'lock-file';
}

type FlockFn = (fd: number, exclusive: boolean, wait: boolean) => number;
let flockFn: FlockFn | null | undefined;

/** The addon's flock, or null when the addon is missing (or SERSYNC_NO_FLOCK=1, a test hook). */
export function nativeFlock(): FlockFn | null {
  if (flockFn !== undefined) return flockFn;
  flockFn = null;
  if (process.env['SERSYNC_NO_FLOCK'] === '1') return flockFn;
  const found = findAddon(); // the same file the watcher loads (build/Release or a prebuild)
  if (!found.ok) return flockFn;
  try {
    const mod = createRequire(import.meta.url)(found.value) as { flock?: FlockFn };
    if (typeof mod.flock === 'function') flockFn = mod.flock;
  } catch {
    // no addon: the lock-file fallback
  }
  return flockFn;
}

const EWOULDBLOCK = 11; // Linux EAGAIN == EWOULDBLOCK
const asMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the exclusive lock of the state directory `dir`, whose descriptor (from openPrivateDir)
 * the caller keeps open for the life of the process. Never waits.
 */
export function lockStateDir(dir: string, dirFd: number): Result<StateLock, LockFailure> {
  const file = join(dir, LOCK_FILE);
  const flock = nativeFlock();
  if (flock !== null) {
    const rc = flock(dirFd, true, false);
    if (rc === -EWOULDBLOCK) return err({ kind: 'held-elsewhere', dir, pid: readPid(file) });
    if (rc !== 0) return err({ kind: 'lock-failed', dir, message: `flock: errno ${-rc}` });
    try {
      replaceFile(file, `${process.pid}\n`, 0o600); // informational only
    } catch {
      // the message of a second instance just lacks the pid
    }
    return ok({ dir, how: 'flock' });
  }
  return lockFile(dir, file);
}

function lockFile(dir: string, file: string): Result<StateLock, LockFailure> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = createExclusive(file, 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      const release = (): void => {
        if (readPid(file) === process.pid) unlinkSync(file);
      };
      process.once('exit', release);
      return ok({ dir, how: 'lock-file' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        return err({ kind: 'lock-failed', dir, message: asMessage(e) });
    }
    const other = readPid(file);
    if (other !== undefined && isLiveSersync(other))
      return err({ kind: 'held-elsewhere', dir, pid: other });
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // another starter removed it first
    }
  }
  return err({ kind: 'lock-failed', dir, message: `${file} keeps reappearing` });
}
