// The journal's flush scheduler: queues what append() accepted, writes it in batches (at most one
// batch per `fsyncMs`, backing off after failures) and resolves sync() waiters once their records
// are durable. Pure: time and timers come from the injected Clock, the write is a callback.
//
//   enqueue() ──> queue ──(timer: lastFlush + max(fsyncMs, back-off))──> write(batch) ──> durable
//                   ^                                                      │ failed?
//                   └────────── unwritten bytes go first, as they are ─────┘
import type { Clock } from '../util/clock.js';
import { encodeRecords, type JournalRecord } from './journal-codec.js';

/** Not yet written: a record (encoded at flush) or the bytes of a failed write, retried as they are. */
export type QueuedPart = JournalRecord | Uint8Array;

/** What one flush hands the writer, oldest first; `bytes` is their encoded size. */
export interface Batch {
  readonly parts: readonly QueuedPart[];
  readonly bytes: number;
}

/** A batch's outcome: undefined when it is durable, else why not and what to write again first. */
export type BatchFailure = { readonly error: Error; readonly retry: Uint8Array } | undefined;

export interface FlushOptions {
  readonly clock: Clock;
  /** Minimum time between two flushes. */
  readonly fsyncMs: number;
  /** Writes (and makes durable) one batch. Expected I/O failures are a value; a throw is a bug. */
  readonly write: (batch: Batch) => Promise<BatchFailure>;
  /** A batch failed (or the writer threw). */
  readonly onError: (e: Error) => void;
}

/** The longest back-off between two attempts after repeated failures. */
export const MAX_RETRY_MS = 5000;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** The bytes of a queue: each run of records encoded into one buffer, retried bytes as they are. */
export function encodeQueue(parts: readonly QueuedPart[]): Buffer {
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

export class FlushScheduler {
  readonly #opts: FlushOptions;
  /** Not yet written, oldest first. */
  #queue: QueuedPart[] = [];
  #queuedBytes = 0;
  /** Number of enqueue() calls that queued something; `#durable` is the last one on disk. */
  #seq = 0;
  #durable = 0;
  #waiters: Waiter[] = [];
  #cancelTimer: (() => void) | undefined;
  #flushing: Promise<void> | undefined;
  #lastFlushAt = -Infinity;
  #failures = 0;
  #closed = false;

  constructor(opts: FlushOptions) {
    this.#opts = opts;
  }

  /** Queues the records of one append() (`bytes`: their encoded size) and arms the timer. */
  enqueue(records: readonly JournalRecord[], bytes: number): void {
    if (records.length === 0) return;
    this.#queue.push(...records);
    this.#queuedBytes += bytes;
    this.#seq++;
    this.#schedule();
  }

  /** Resolves when everything enqueued so far is durable; rejects if the batch holding it failed. */
  sync(): Promise<void> {
    if (this.#durable >= this.#seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ seq: this.#seq, resolve, reject });
      this.#schedule();
    });
  }

  /** Stops the timer, waits for the flush in progress, flushes once more; returns the bytes still unwritten. */
  async close(): Promise<number> {
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#flushing !== undefined) await this.#flushing;
    if (this.#queue.length > 0) await this.#flush();
    return this.#queuedBytes;
  }

  /** Arms the flush timer: at once after a quiet spell, else `fsyncMs` (or the back-off) after the last flush. */
  #schedule(): void {
    if (this.#closed || this.#cancelTimer !== undefined || this.#flushing !== undefined) return;
    if (this.#queue.length === 0) return;
    const { clock, fsyncMs } = this.#opts;
    const backoff =
      this.#failures === 0 ? 0 : Math.min(MAX_RETRY_MS, fsyncMs * 2 ** this.#failures);
    const delay = Math.max(0, this.#lastFlushAt + Math.max(fsyncMs, backoff) - clock.now());
    this.#cancelTimer = clock.setTimeout(() => {
      this.#cancelTimer = undefined;
      this.#flushing = this.#flush()
        .catch((e: unknown) => {
          this.#opts.onError(asError(e)); // the writer reports its I/O errors as values; a backstop
        })
        .finally(() => {
          this.#flushing = undefined;
          this.#schedule();
        });
    }, delay);
  }

  /** One batch: everything queued goes to the writer; what it could not write goes first next time. */
  async #flush(): Promise<void> {
    this.#lastFlushAt = this.#opts.clock.now();
    const seq = this.#seq;
    const batch: Batch = { parts: this.#queue, bytes: this.#queuedBytes };
    this.#queue = [];
    this.#queuedBytes = 0;
    const failure = await this.#opts.write(batch);
    if (failure !== undefined) {
      if (failure.retry.length > 0) {
        this.#queue.unshift(failure.retry);
        this.#queuedBytes += failure.retry.length;
      }
      this.#opts.onError(failure.error);
    }
    this.#settled(seq, failure?.error);
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
