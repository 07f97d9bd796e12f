// The durable journal of pending and failed paths: an append-only file in the state directory,
// written and fsync'd in batches, replayed at start, compacted when mostly dead. Shell over the
// pure journal-codec.ts (format, fsync policy, compaction: docs/reliability.md).
//
//   append() ──> queue ──(timer: at most one flush per fsyncMs)──> write + fdatasync ──> durable
//                  │                                                  │ file mostly dead?
//                  └─────────── absorbed by ────────── compact: live records -> tmp, fsync, rename
import { constants } from 'node:fs';
import { chmod, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../util/result.js';
import { privateDirProblem } from '../util/safe-fs.js';
import {
  checkedSize,
  checkHeader,
  encodedSize,
  encodeRecords,
  JOURNAL_HEADER,
  JournalDecoder,
  type JournalRecord,
} from './journal-codec.js';

export type { JournalRecord } from './journal-codec.js';

/** An outstanding path as replay hands it back (absent op / isDir read as upsert / false). */
export interface OutstandingPath {
  readonly path: string;
  readonly op: 'upsert' | 'remove';
  readonly isDir: boolean;
}

export interface Journal {
  /**
   * Applies records to the in-memory state at once, and queues those that change it for the
   * file: they are written and fsync'd in batches (at most one fdatasync per `fsyncMs`). A 'done'
   * for a path not outstanding, or a 'pending' repeating the current state, writes nothing.
   * Throws after close() (a bug).
   */
  append(records: readonly JournalRecord[]): void;
  /** Resolves when everything appended so far is on disk (fsync'd); rejects if that write failed. */
  sync(): Promise<void>;
  /** Paths still pending (a 'pending' with no later 'done'), per target key, in first-seen order. A copy. */
  outstanding(): Map<string, OutstandingPath[]>;
  /** Writes what is queued, then closes the file; rejects if that last write failed. */
  close(): Promise<void>;
}

export interface JournalOptions {
  /** Minimum time between two flushes (write + fdatasync). Default 50 ms. */
  readonly fsyncMs?: number;
  /** Compact once the file is larger than this and live records are < 1/4 of it. Default 8 MiB. */
  readonly compactAtBytes?: number;
  /** A write, fsync or compaction failed (writes are retried with back-off). */
  readonly onError?: (e: Error) => void;
}

export interface StateDirError {
  readonly kind: 'state-dir';
  readonly message: string;
}

/** The journal's file name inside the state directory. */
export const JOURNAL_FILE = 'journal';
const DEFAULTS = Object.freeze({ fsyncMs: 50, compactAtBytes: 8 * 1024 * 1024 });
const READ_CHUNK = 1 << 20;
const MAX_RETRY_MS = 5000;

interface Live {
  readonly op: 'upsert' | 'remove';
  readonly isDir: boolean;
  /** Encoded size of the record compaction writes for it. */
  readonly size: number;
}

/** The replayed state: target key -> path -> live entry (Map order = first-seen order). */
class State {
  readonly byTarget = new Map<string, Map<string, Live>>();
  liveBytes = 0;

  /** Applies `r` (`size`: its encoded size); returns whether the state changed (i.e. whether the record must be written). */
  apply(r: JournalRecord, size = encodedSize(r.targetKey, r.path)): boolean {
    let paths = this.byTarget.get(r.targetKey);
    if (r.kind === 'pending') {
      const op = r.op ?? 'upsert';
      const isDir = r.isDir ?? false;
      const old = paths?.get(r.path);
      if (old?.op === op && old.isDir === isDir) return false;
      if (paths === undefined) {
        paths = new Map();
        this.byTarget.set(r.targetKey, paths);
      }
      this.liveBytes += size - (old?.size ?? 0);
      paths.set(r.path, { op, isDir, size }); // an existing key keeps its first-seen position
      return true;
    }
    if (paths === undefined) return false;
    let changed = this.#drop(paths, r.path);
    if (r.subtree === true) {
      const prefix = r.path === '' ? '' : `${r.path}/`;
      for (const p of paths.keys())
        if (p.startsWith(prefix)) changed = this.#drop(paths, p) || changed;
    }
    if (paths.size === 0) this.byTarget.delete(r.targetKey);
    return changed;
  }

  #drop(paths: Map<string, Live>, path: string): boolean {
    const old = paths.get(path);
    if (old === undefined) return false;
    this.liveBytes -= old.size;
    return paths.delete(path);
  }

  /** The live records, as compaction writes them. */
  *records(): Generator<JournalRecord> {
    for (const [targetKey, paths] of this.byTarget) {
      for (const [path, { op, isDir }] of paths)
        yield { kind: 'pending', targetKey, path, op, isDir };
    }
  }
}

/** The bytes of a queue: each run of records encoded into one buffer, retried bytes as they are. */
function encodeQueue(parts: readonly (JournalRecord | Uint8Array)[]): Buffer {
  const chunks: Uint8Array[] = [];
  let run: JournalRecord[] = [];
  for (const part of parts) {
    if (!(part instanceof Uint8Array)) {
      run.push(part);
      continue;
    }
    if (run.length > 0) chunks.push(encodeRecords(run));
    run = [];
    chunks.push(part);
  }
  if (run.length > 0) chunks.push(encodeRecords(run));
  return Buffer.concat(chunks);
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** Writes all of `data` at the end of `fh` (O_APPEND); on failure says how much was written. */
async function writeAll(
  fh: FileHandle,
  data: Uint8Array,
): Promise<{ written: number; error?: Error }> {
  let written = 0;
  try {
    while (written < data.length) written += (await fh.write(data, written)).bytesWritten;
    return { written };
  } catch (e) {
    return { written, error: asError(e) };
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `bytes` to a new `<file>.tmp` (0600, O_APPEND), fsyncs it, renames it over `file`, fsyncs
 * the dir, and returns the still open handle: it IS the journal now, so there is no reopen that
 * could fail after the rename. A failed directory fsync is only reported (the rename happened).
 */
async function replaceFile(
  dir: string,
  file: string,
  bytes: Uint8Array,
  onError: (e: Error) => void,
): Promise<FileHandle> {
  const tmp = `${file}.tmp`;
  await unlink(tmp).catch(() => undefined); // left over from a crash during compaction
  const fh = await open(tmp, 'ax', 0o600);
  try {
    const r = await writeAll(fh, bytes);
    if (r.error !== undefined) throw r.error;
    await fh.datasync();
    await rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir).catch((e: unknown) => {
    onError(asError(e));
  });
  return fh;
}

/** Reads the journal file into `state`. Returns its size and whether anything in it was dead. */
async function replay(
  file: string,
  state: State,
): Promise<Result<{ size: number; dead: boolean }, string>> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok({ size: 0, dead: true });
    throw e;
  }
  try {
    const head = new Uint8Array(JOURNAL_HEADER.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const header = checkHeader(head.subarray(0, bytesRead));
    if (header === 'foreign')
      return err(
        "does not start with the sersync journal header (another program's file, or a newer format); move it away",
      );
    if (header === 'empty') return ok({ size: bytesRead, dead: true });
    const decoder = new JournalDecoder();
    const buf = new Uint8Array(READ_CHUNK);
    let size = bytesRead;
    const feed = (rs: JournalRecord[]): void => {
      for (const r of rs) state.apply(r);
    };
    for (;;) {
      const n = (await fh.read(buf, 0, buf.length, size)).bytesRead;
      if (n === 0) break;
      size += n;
      feed(decoder.push(buf.subarray(0, n)));
    }
    feed(decoder.finish());
    // Dead: garbage (a torn tail must be cut before appending) or superseded records.
    const dead = decoder.garbageBytes > 0 || size > JOURNAL_HEADER.length + state.liveBytes;
    return ok({ size, dead });
  } finally {
    await fh.close();
  }
}

/** Creates the state dir (0700) if needed and checks it is ours, never through a link (safe-fs.ts). */
async function prepareDir(dir: string): Promise<string | undefined> {
  return Promise.resolve(privateDirProblem(dir));
}

/**
 * Opens (creating it 0700 if needed) the state directory `dir`, replays its journal, compacts it
 * when anything in it is dead (a torn tail, garbage, synced paths), and returns the journal.
 * Failures to create, read or write the directory are a `state-dir` error (the daemon refuses to
 * start). One process per state directory: nothing here locks the file.
 */
export async function openJournal(
  dir: string,
  opts: JournalOptions = {},
): Promise<Result<Journal, StateDirError>> {
  const file = join(dir, JOURNAL_FILE);
  const fail = (message: string): Result<Journal, StateDirError> =>
    err({ kind: 'state-dir', message: `state directory ${dir}: ${message}` });
  try {
    const problem = await prepareDir(dir);
    if (problem !== undefined) return fail(problem);
  } catch (e) {
    return fail(`cannot be created or used: ${asError(e).message}`);
  }
  const state = new State();
  let size: number;
  try {
    const r = await replay(file, state);
    if (!r.ok) return fail(`${file} ${r.error}`);
    size = r.value.size;
    let fh: FileHandle;
    if (r.value.dead) {
      const bytes = Buffer.concat([JOURNAL_HEADER, encodeRecords([...state.records()])]);
      fh = await replaceFile(dir, file, bytes, opts.onError ?? (() => undefined));
      size = bytes.length;
    } else {
      await chmod(file, 0o600);
      fh = await open(file, 'a', 0o600);
    }
    return ok(new FileJournal(dir, file, fh, state, size, opts));
  } catch (e) {
    return fail(`cannot read or write ${file}: ${asError(e).message}`);
  }
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

class FileJournal implements Journal {
  readonly #dir: string;
  readonly #file: string;
  readonly #state: State;
  readonly #fsyncMs: number;
  readonly #compactAt: number;
  readonly #onError: (e: Error) => void;
  #fh: FileHandle;
  /** Bytes in the file. */
  #size: number;
  /** Not yet written, oldest first: records (encoded at flush, one buffer) and bytes of a failed write to retry. */
  #queue: (JournalRecord | Uint8Array)[] = [];
  #queuedBytes = 0;
  /** Number of append() calls that queued something; `#durable` is the last one on disk. */
  #seq = 0;
  #durable = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #lastFlushAt = -Infinity;
  #failures = 0;
  /** After a failed compaction, do not try again before the file reaches this size. */
  #noCompactBelow = 0;
  #closed = false;

  constructor(
    dir: string,
    file: string,
    fh: FileHandle,
    state: State,
    size: number,
    opts: JournalOptions,
  ) {
    this.#dir = dir;
    this.#file = file;
    this.#fh = fh;
    this.#state = state;
    this.#size = size;
    this.#fsyncMs = opts.fsyncMs ?? DEFAULTS.fsyncMs;
    this.#compactAt = opts.compactAtBytes ?? DEFAULTS.compactAtBytes;
    this.#onError = opts.onError ?? (() => undefined);
  }

  append(records: readonly JournalRecord[]): void {
    if (this.#closed) throw new Error('Internal error: journal append after close');
    let queued = false;
    for (const r of records) {
      const size = checkedSize(r); // validates before the state changes
      if (!this.#state.apply(r, size)) continue;
      this.#queue.push(r);
      this.#queuedBytes += size;
      queued = true;
    }
    if (!queued) return;
    this.#seq++;
    this.#schedule();
  }

  sync(): Promise<void> {
    if (this.#durable >= this.#seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ seq: this.#seq, resolve, reject });
      this.#schedule();
    });
  }

  outstanding(): Map<string, OutstandingPath[]> {
    const out = new Map<string, OutstandingPath[]>();
    for (const [key, paths] of this.#state.byTarget) {
      out.set(
        key,
        [...paths].map(([path, { op, isDir }]) => ({ path, op, isDir })),
      );
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      if (this.#flushing !== undefined) await this.#flushing;
      if (this.#queue.length > 0) await this.#flush();
      if (this.#queue.length > 0)
        throw new Error(`journal ${this.#file}: ${this.#queuedBytes} bytes could not be written`);
    } finally {
      await this.#fh.close();
    }
  }

  /** Arms the flush timer: at once after a quiet spell, else `fsyncMs` after the last flush. */
  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#flushing !== undefined) return;
    if (this.#queue.length === 0) return;
    const backoff =
      this.#failures === 0 ? 0 : Math.min(MAX_RETRY_MS, this.#fsyncMs * 2 ** this.#failures);
    const delay = Math.max(0, this.#lastFlushAt + Math.max(this.#fsyncMs, backoff) - Date.now());
    // Not unref'd on purpose: appended records keep the process alive until they are on disk.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flush()
        .catch((e: unknown) => {
          this.#onError(asError(e)); // #flush reports its I/O errors itself; this is a backstop
        })
        .finally(() => {
          this.#flushing = undefined;
          this.#schedule();
        });
    }, delay);
  }

  /** One batch: compaction (which absorbs the queue) or write + fdatasync of the queue. */
  async #flush(): Promise<void> {
    this.#lastFlushAt = Date.now();
    const seq = this.#seq;
    const parts = this.#queue;
    const projected = this.#size + this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (
      projected > this.#compactAt &&
      projected >= this.#noCompactBelow &&
      this.#state.liveBytes * 4 < projected
    ) {
      // The live state already includes the queued records: the compacted file replaces them.
      const bytes = Buffer.concat([JOURNAL_HEADER, encodeRecords([...this.#state.records()])]);
      let fh: FileHandle;
      try {
        fh = await replaceFile(this.#dir, this.#file, bytes, this.#onError);
      } catch (e) {
        this.#noCompactBelow = projected + this.#compactAt;
        this.#onError(asError(e));
        return this.#writeBatch(seq, parts); // append to the old file instead
      }
      const old = this.#fh;
      this.#fh = fh;
      this.#size = bytes.length;
      await old.close().catch((e: unknown) => {
        this.#onError(asError(e));
      });
      this.#settled(seq, undefined);
      return;
    }
    return this.#writeBatch(seq, parts);
  }

  async #writeBatch(seq: number, parts: readonly (JournalRecord | Uint8Array)[]): Promise<void> {
    const data = encodeQueue(parts);
    const { written, error } = await writeAll(this.#fh, data);
    this.#size += written;
    let failure = error;
    if (failure === undefined) {
      try {
        await this.#fh.datasync();
      } catch (e) {
        failure = asError(e);
      }
    }
    if (failure !== undefined) {
      // Retry before anything newer: the unwritten rest completes a half-written record (O_APPEND
      // keeps the file contiguous). After a failed fdatasync the written pages may be lost, so the
      // whole batch goes again: a record read twice replays to the same state.
      const rest = error !== undefined ? data.subarray(written) : data;
      if (rest.length > 0) {
        this.#queue.unshift(rest);
        this.#queuedBytes += rest.length;
      }
      this.#onError(failure);
    }
    this.#settled(seq, failure);
  }

  #settled(seq: number, failure: Error | undefined): void {
    if (failure === undefined) {
      this.#failures = 0;
      this.#durable = seq;
    } else this.#failures++;
    const due = this.#waiters.filter((w) => w.seq <= seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > seq);
    for (const w of due) {
      if (failure === undefined) w.resolve();
      else w.reject(failure);
    }
  }
}
