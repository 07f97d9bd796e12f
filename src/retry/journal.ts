// The durable journal of pending and failed paths: an append-only file in the state directory,
// written and fsync'd in batches, replayed at start, compacted when mostly dead (format, fsync
// policy, compaction: docs/reliability.md). This file composes the parts:
//   journal-state.ts  the replayed state (pure)      journal-flush.ts  batching + timer (Clock)
//   journal-codec.ts  the bytes (pure)               journal-files.ts  replay, append, replace
//
//   append() ──> state ──> flush queue ──(at most one batch per fsyncMs)──> write + fdatasync
//                                                  │ file mostly dead?
//                                                  └─> compact: live records -> tmp, fsync, rename
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { displayName } from '../util/byte-names.js';
import { systemClock, type Clock } from '../util/clock.js';
import { err, ok, type Result } from '../util/result.js';
import { checkedSize, encodeRecords, JOURNAL_HEADER, type JournalRecord } from './journal-codec.js';
import { openForAppend, prepareDir, replaceFile, replay, writeAll } from './journal-files.js';
import {
  asError,
  encodeQueue,
  FlushScheduler,
  type Batch,
  type BatchFailure,
} from './journal-flush.js';
import { JournalState, type OutstandingPath } from './journal-state.js';

export type { JournalRecord } from './journal-codec.js';
export type { OutstandingPath } from './journal-state.js';

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
  /** Time and flush timers. Default systemClock. */
  readonly clock?: Clock;
}

export interface StateDirError {
  readonly kind: 'state-dir';
  readonly message: string;
}

/** The journal's file name inside the state directory. */
export const JOURNAL_FILE = 'journal';
const DEFAULTS = Object.freeze({ fsyncMs: 50, compactAtBytes: 8 * 1024 * 1024 });

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
    err({ kind: 'state-dir', message: `state directory ${displayName(dir)}: ${message}` });
  try {
    const problem = await prepareDir(dir);
    if (problem !== undefined) return fail(problem);
  } catch (e) {
    return fail(`cannot be created or used: ${asError(e).message}`);
  }
  const state = new JournalState();
  try {
    const r = await replay(file, state);
    if (!r.ok) return fail(`${displayName(file)} ${r.error}`);
    if (!r.value.dead) {
      return ok(new FileJournal(dir, file, await openForAppend(file), state, r.value.size, opts));
    }
    const bytes = snapshot(state);
    const fh = await replaceFile(dir, file, bytes, opts.onError ?? (() => undefined));
    return ok(new FileJournal(dir, file, fh, state, bytes.length, opts));
  } catch (e) {
    return fail(`cannot read or write ${displayName(file)}: ${asError(e).message}`);
  }
}

/** The whole file compaction writes: the header and the live records. */
const snapshot = (state: JournalState): Buffer =>
  Buffer.concat([JOURNAL_HEADER, encodeRecords([...state.records()])]);

/**
 * `clock` whose armed timers also keep the process alive (Clock timers never do): records
 * appended reach the disk before the process can exit on its own.
 */
function holdingProcess(clock: Clock): Clock {
  return {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      const hold = setInterval(() => undefined, 2 ** 31 - 1);
      const cancel = clock.setTimeout(() => {
        clearInterval(hold);
        fn();
      }, ms);
      return () => {
        clearInterval(hold);
        cancel();
      };
    },
  };
}

class FileJournal implements Journal {
  readonly #dir: string;
  readonly #file: string;
  readonly #state: JournalState;
  readonly #compactAt: number;
  readonly #onError: (e: Error) => void;
  readonly #flusher: FlushScheduler;
  #fh: FileHandle;
  /** Bytes in the file. */
  #size: number;
  /** After a failed compaction, do not try again before the file reaches this size. */
  #noCompactBelow = 0;
  #closed = false;

  constructor(
    dir: string,
    file: string,
    fh: FileHandle,
    state: JournalState,
    size: number,
    opts: JournalOptions,
  ) {
    this.#dir = dir;
    this.#file = file;
    this.#fh = fh;
    this.#state = state;
    this.#size = size;
    this.#compactAt = opts.compactAtBytes ?? DEFAULTS.compactAtBytes;
    this.#onError = opts.onError ?? (() => undefined);
    this.#flusher = new FlushScheduler({
      clock: holdingProcess(opts.clock ?? systemClock),
      fsyncMs: opts.fsyncMs ?? DEFAULTS.fsyncMs,
      write: (batch) => this.#write(batch),
      onError: this.#onError,
    });
  }

  append(records: readonly JournalRecord[]): void {
    if (this.#closed) throw new Error('Internal error: journal append after close');
    const changed: JournalRecord[] = [];
    let bytes = 0;
    for (const r of records) {
      const size = checkedSize(r); // validates before the state changes
      if (!this.#state.apply(r, size)) continue;
      changed.push(r);
      bytes += size;
    }
    this.#flusher.enqueue(changed, bytes);
  }

  sync(): Promise<void> {
    return this.#flusher.sync();
  }

  outstanding(): Map<string, OutstandingPath[]> {
    return this.#state.outstanding();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      const unwritten = await this.#flusher.close();
      if (unwritten > 0)
        throw new Error(
          `journal ${displayName(this.#file)}: ${unwritten} bytes could not be written`,
        );
    } finally {
      await this.#fh.close();
    }
  }

  /** One batch: compaction (which absorbs the batch) or write + fdatasync of it. */
  async #write(batch: Batch): Promise<BatchFailure> {
    const projected = this.#size + batch.bytes;
    if (
      projected > this.#compactAt &&
      projected >= this.#noCompactBelow &&
      this.#state.liveBytes * 4 < projected
    ) {
      // The live state already includes the batch's records: the compacted file replaces them.
      const bytes = snapshot(this.#state);
      let fh: FileHandle;
      try {
        fh = await replaceFile(this.#dir, this.#file, bytes, this.#onError);
      } catch (e) {
        this.#noCompactBelow = projected + this.#compactAt;
        this.#onError(asError(e));
        return this.#append(batch); // append to the old file instead
      }
      const old = this.#fh;
      this.#fh = fh;
      this.#size = bytes.length;
      await old.close().catch((e: unknown) => {
        this.#onError(asError(e));
      });
      return undefined;
    }
    return this.#append(batch);
  }

  async #append(batch: Batch): Promise<BatchFailure> {
    const data = encodeQueue(batch.parts);
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
    if (failure === undefined) return undefined;
    // Retry before anything newer: the unwritten rest completes a half-written record (O_APPEND
    // keeps the file contiguous). After a failed fdatasync the written pages may be lost, so the
    // whole batch goes again: a record read twice replays to the same state.
    return { error: failure, retry: error !== undefined ? data.subarray(written) : data };
  }
}
