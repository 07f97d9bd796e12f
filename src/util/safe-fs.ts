// File operations that another local user cannot redirect: no symlink is ever followed at the last
// component, temp names are unpredictable and created exclusively, directories are checked on the
// opened descriptor and narrowed with fchmod, locations are checked for world-writable parents.
// Paths are BytePaths (src/util/byte-names.ts): every call goes through fsPath, so a name with
// raw bytes is the very file. Shell (synchronous fs calls), one policy (docs/security.md).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeName, displayName, fsPath, type BytePath } from './byte-names.js';
import { err, ok, type Result } from './result.js';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_RDONLY, O_RDWR, O_APPEND, O_DIRECTORY } =
  constants;
const S_ISVTX = 0o1000;

const euid = (): number | undefined => process.geteuid?.();
const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `<dir>/.<name>.<16 random hex>.tmp`: a sibling no other user can guess in advance. */
export function tempSibling(path: BytePath): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
}

/** Creates `path` with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through a link). */
export function createExclusive(path: BytePath, mode: number, flags = O_WRONLY): number {
  return openSync(fsPath(path), flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

/** Why an opened file is not ours to write, or undefined when it is (a plain file we own, one link). */
export function notOurs(st: Stats): string | undefined {
  if (!st.isFile()) return 'is not a regular file';
  const uid = euid();
  if (uid !== undefined && st.uid !== uid)
    return `is owned by uid ${st.uid}, not by this process (uid ${uid})`;
  if (st.nlink !== 1) return `has ${st.nlink} hard links`;
  return undefined;
}

/**
 * Opens `path` for appending without following a symlink (ELOOP), creating it with `mode`; then
 * checks on the descriptor that it is a regular file we own with one link. For log and pid files.
 * Throws an Error naming the path otherwise.
 */
export function openAppendNoFollow(path: BytePath, mode: number): number {
  const fd = openSync(fsPath(path), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode);
  const why = notOurs(fstatSync(fd));
  if (why === undefined) return fd;
  closeSync(fd);
  throw new Error(`${displayName(path)} ${why}; not written`);
}

/** The flags for creating a pid file: exclusive, no symlink followed. */
export const PID_FILE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Replaces `path` atomically: a new exclusive temp sibling (`mode`), written and fsync'd, renamed
 * over `path` (rename replaces a planted symlink itself, never its target). On failure the temp
 * file is removed and the error thrown. With `keepOpen` the temp's O_RDWR descriptor is returned
 * (it IS the file now), else it is closed and -1 returned.
 */
export function replaceFile(
  path: BytePath,
  data: string | Uint8Array,
  mode: number,
  keepOpen = false,
): number {
  const tmp = tempSibling(path);
  const fd = createExclusive(tmp, mode, keepOpen ? O_RDWR | O_APPEND : O_WRONLY);
  try {
    fchmodSync(fd, mode); // the umask may have narrowed it; never wider than asked
    writeAll(fd, data);
    fsyncSync(fd);
    renameSync(fsPath(tmp), fsPath(path));
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(fsPath(tmp));
    } catch {
      // already gone
    }
    throw e;
  }
  if (keepOpen) return fd;
  closeSync(fd);
  return -1;
}

/** Appends `data` to the descriptor (all of it, or throws). */
export function appendAll(fd: number, data: string | Uint8Array): void {
  writeAll(fd, data);
}

/**
 * Creates `dir` (0700, missing parents with `parentMode`, default 0700) if needed, opens it O_NOFOLLOW|O_DIRECTORY
 * and checks on the descriptor that we own it; group/other bits are removed with fchmod (never a
 * chmod through the path). Returns the open descriptor (for flock), or why it is unusable.
 */
export function openPrivateDir(dir: BytePath, parentMode = 0o700): Result<number, string> {
  try {
    mkdirSync(fsPath(dirname(dir)), { recursive: true, mode: parentMode });
    mkdirSync(fsPath(dir), { mode: 0o700 });
  } catch (e) {
    if (code(e) !== 'EEXIST') return err(`cannot be created: ${message(e)}`);
  }
  let fd: number;
  try {
    fd = openSync(fsPath(dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const link =
      code(e) === 'ELOOP' || lstatSync(fsPath(dir), { throwIfNoEntry: false })?.isSymbolicLink();
    if (link === true) return err('is a symbolic link (refused: it could point anywhere)');
    if (code(e) === 'ENOTDIR') return err('is not a directory');
    return err(`cannot be opened: ${message(e)}`);
  }
  const st = fstatSync(fd);
  const uid = euid();
  if (uid !== undefined && st.uid !== uid) {
    closeSync(fd);
    return err(
      `is owned by uid ${st.uid}, not by this process (uid ${uid}): another user could feed it paths to sync or delete`,
    );
  }
  if ((st.mode & 0o077) !== 0) fchmodSync(fd, st.mode & 0o700);
  return ok(fd);
}

/** openPrivateDir, closing the descriptor: undefined when the directory is ready, else why not. */
export function privateDirProblem(dir: BytePath): string | undefined {
  const r = openPrivateDir(dir);
  if (!r.ok) return r.error;
  closeSync(r.value);
  return undefined;
}

/** The nearest existing ancestor of `path` (itself excluded) and what its stat said. */
function nearestExisting(path: BytePath): { dir: string; st: Stats } | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      return { dir, st: statSync(fsPath(dir)) };
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

/**
 * Why `path` (a state dir, log or pid file we create and write) sits where another user could
 * swap it, or undefined when it is safe: the directory we create it in (its nearest existing
 * ancestor) must not be world-writable, sticky or not; every directory above (symlinks resolved)
 * must be owned by root or by us, and world-writable ones must be sticky. Group-writable
 * directories are the administrator's choice and accepted.
 */
export function unsafeLocation(path: BytePath): string | undefined {
  const near = nearestExisting(path);
  if (near === undefined) return undefined;
  if ((near.st.mode & 0o002) !== 0)
    return `${displayName(near.dir)} is world-writable (mode ${(near.st.mode & 0o7777).toString(8)}): any local user could plant a symlink or a file there`;
  const uid = euid();
  let dir: string;
  try {
    dir = decodeName(realpathSync.native(fsPath(near.dir), { encoding: 'buffer' }));
  } catch (e) {
    return `${displayName(near.dir)} cannot be resolved: ${message(e)}`;
  }
  for (;;) {
    const st = lstatSync(fsPath(dir));
    if (st.uid !== 0 && st.uid !== uid)
      return `${displayName(dir)} is owned by uid ${st.uid}, who could replace what is below it`;
    if ((st.mode & 0o002) !== 0 && (st.mode & S_ISVTX) === 0)
      return `${displayName(dir)} is world-writable without the sticky bit: anyone could rename what is below it`;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Reads `path` if it is a regular file we own with one link, never through a symlink at the last
 * component (O_NOFOLLOW; O_NONBLOCK so that a planted FIFO cannot hang us). ok(undefined) when it
 * does not exist; err(why) when it is not ours to trust.
 */
export function readOwnedFile(path: BytePath): Result<Buffer | undefined, string> {
  let fd: number;
  try {
    fd = openSync(fsPath(path), O_RDONLY | O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (code(e) === 'ENOENT') return ok(undefined);
    if (code(e) === 'ELOOP') return err('is a symbolic link');
    return err(`cannot be opened: ${message(e)}`);
  }
  try {
    const why = notOurs(fstatSync(fd));
    return why === undefined ? ok(readFileSync(fd)) : err(why);
  } catch (e) {
    return err(`cannot be read: ${message(e)}`);
  } finally {
    closeSync(fd);
  }
}
