// The daemon's log file: an append-only stream whose descriptor can be swapped for a fresh one
// (SIGUSR1, for logrotate's `postrotate`), created `rw-r-----`. Used by log.ts. Shell.
import { closeSync, mkdirSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { openAppendNoFollow } from './util/safe-fs.js';

/** Log files are created `rw-r-----` (the parent of `-d` opens it with the same mode). */
export const LOG_FILE_MODE = 0o640;

/**
 * An append-only Writable over a file path whose descriptor can be swapped for a fresh one
 * (logrotate). Writes are synchronous: a daemon log is a few lines per rsync run, and a line
 * written just before `process.exit` (the last-chance handler) is then really on disk: as each
 * `_write` completes before it returns, `write()` never buffers and the line is in the file when
 * the logger's `info()` returns.
 * A failed write (disk full, EIO) drops the line instead of erroring the stream: an unwritable
 * log must not stop the sync (an erroring stream would drop every later line too).
 */
export class ReopenableFile extends Writable {
  readonly #path: string;
  #fd: number;

  /** Opens (creates, appends to) `path`, creating its directory. Throws when it cannot. */
  constructor(path: string) {
    super({ decodeStrings: true });
    this.#path = path;
    this.#fd = ReopenableFile.#open(path);
  }

  static #open(path: string): number {
    mkdirSync(dirname(path), { recursive: true });
    return openAppendNoFollow(path, LOG_FILE_MODE); // never through a planted symlink
  }

  /** Opens the path again and closes the previous descriptor; on failure keeps the old one. */
  reopen(): { ok: true } | { ok: false; message: string } {
    let fd: number;
    try {
      fd = ReopenableFile.#open(this.#path);
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    const old = this.#fd;
    this.#fd = fd;
    try {
      closeSync(old);
    } catch {
      // EBADF/EIO on close of the rotated file: nothing left to save there.
    }
    return { ok: true };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      for (let off = 0; off < chunk.length;)
        off += writeSync(this.#fd, chunk, off, chunk.length - off);
    } catch {
      // Dropped (see the class comment).
    }
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Already unusable: nothing to flush (writes are synchronous).
    }
    cb();
  }
}
