// The bounded, one-at-a-time call runner every plugin sits on: enqueue never blocks, the oldest
// event is dropped (and logged) when full, each call has a timeout that aborts it. Shell (Clock).
//
//   push ──► [ waiting (≤ capacity) ] ──► idle ──run──► running ──settled / timed out──► idle
//                 │ full: drop oldest, log               │ close(): drain until grace, then abort + drop
import type { LogLevel, Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import type { Result } from '../util/result.js';
import type { PluginStats } from './plugin.js';

/** A failed call: what to log and at which level (the plugin decides, e.g. ignoreError → debug). */
export interface PluginFailure {
  readonly level: LogLevel;
  readonly message: string;
}

/** What a call returns: `ok(undefined)`, `{skipped}` (filtered out; counted, not logged) or a failure. */
export type CallResult = Result<'done' | 'skipped', PluginFailure>;

export interface PluginQueueOptions<T> {
  /** Prefix of every log line: `plugin <name>: …`. */
  readonly name: string;
  readonly capacity: number;
  readonly timeoutMs: number;
  readonly closeGraceMs: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Performs one call. Must settle, and should stop promptly once `signal` aborts (the queue has
   * already moved on). A throw is caught and logged at error level as an internal error.
   */
  run(item: T, signal: AbortSignal): Promise<CallResult>;
  /** Short text naming the item in log lines (never secrets). */
  describe(item: T): string;
}

/** The queue handle a plugin wraps. */
export interface PluginQueue<T> {
  /** Enqueues; returns at once. Drops the oldest waiting item when full, or `item` after close(). */
  push(item: T): void;
  stats(): PluginStats;
  close(): Promise<void>;
}

/** Minimum gap between two "dropped" log lines; the drops in between are counted in the next line. */
const DROP_LOG_EVERY_MS = 1_000;

/** The running totals of stats(), mutable here. */
type Counts = { -readonly [K in Exclude<keyof PluginStats, 'queued' | 'running'>]: number };
/** How a call ended: its result, or the queue's own verdicts. */
type Outcome = CallResult | 'timeout' | 'closed' | { thrown: unknown };

/** Counts drops and logs them at most once per DROP_LOG_EVERY_MS, summing the ones in between. */
class DropLog<T> {
  readonly #o: PluginQueueOptions<T>;
  readonly #counts: Counts;
  readonly #tag: string;
  #last = Number.NEGATIVE_INFINITY;
  #unreported = 0;

  constructor(o: PluginQueueOptions<T>, counts: Counts, tag: string) {
    this.#o = o;
    this.#counts = counts;
    this.#tag = tag;
  }

  dropped(why: string, item: T): void {
    this.#counts.dropped++;
    this.#unreported++;
    const now = this.#o.clock.now();
    if (now - this.#last < DROP_LOG_EVERY_MS) return;
    const more =
      this.#unreported > 1 ? ` (${this.#unreported - 1} more dropped since the last report)` : '';
    this.#o.logger.warn(`${this.#tag}: ${why}, dropped ${this.#o.describe(item)}${more}`);
    this.#last = now;
    this.#unreported = 0;
  }

  /** The queue ran dry: report the drops not logged yet. */
  idle(): void {
    if (this.#unreported === 0) return;
    this.#o.logger.warn(
      `${this.#tag}: ${this.#unreported} more event(s) dropped since the last report`,
    );
    this.#unreported = 0;
  }
}

/** Counts and logs how a call ended. */
function settle<T>(o: PluginQueueOptions<T>, counts: Counts, item: T, r: Outcome): void {
  const tag = `plugin ${o.name}`;
  if (r === 'timeout') {
    counts.timedOut++;
    counts.failed++;
    o.logger.warn(`${tag}: call timed out after ${o.timeoutMs} ms for ${o.describe(item)}`);
  } else if (r === 'closed') {
    counts.failed++;
    o.logger.warn(`${tag}: closing, aborted the call for ${o.describe(item)}`);
  } else if ('thrown' in r) {
    counts.failed++;
    const msg = r.thrown instanceof Error ? r.thrown.message : String(r.thrown);
    o.logger.error(`${tag}: internal error for ${o.describe(item)}: ${msg}`);
  } else if (r.ok) {
    if (r.value === 'done') counts.succeeded++;
    else counts.skipped++;
  } else {
    counts.failed++;
    o.logger[r.error.level](`${tag}: ${r.error.message}`);
  }
}

/**
 * Starts one call with its timeout; `onEnd` runs exactly once, never synchronously: when the call
 * settles, times out, or is aborted through the returned handle (the queue closing).
 */
function startCall<T>(
  o: PluginQueueOptions<T>,
  item: T,
  onEnd: (r: Outcome) => void,
): { readonly abort: () => void } {
  const ac = new AbortController();
  let done = false;
  const finish = (r: Outcome): void => {
    if (done) return;
    done = true;
    cancelTimer();
    onEnd(r);
  };
  const cancelTimer = o.clock.setTimeout(() => {
    finish('timeout');
    ac.abort(new Error('plugin call timed out'));
  }, o.timeoutMs);
  let p: Promise<CallResult>;
  try {
    p = o.run(item, ac.signal);
  } catch (e) {
    p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  p.then(finish, (e: unknown) => {
    finish({ thrown: e });
  });
  return {
    abort: () => {
      finish('closed');
      ac.abort(new Error('plugin closing'));
    },
  };
}

/** Creates a queue; nothing runs until the first push. No ordering guarantee beyond FIFO of what is kept. */
export function createPluginQueue<T>(o: PluginQueueOptions<T>): PluginQueue<T> {
  const items: T[] = [];
  const counts: Counts = { succeeded: 0, failed: 0, timedOut: 0, dropped: 0, skipped: 0 };
  let running = false;
  let current: { readonly abort: () => void } | undefined;
  let closing = false;
  let idleWaiters: (() => void)[] = [];
  let closed: Promise<void> | undefined;
  const tag = `plugin ${o.name}`;
  const drops = new DropLog(o, counts, tag);

  const pump = (): void => {
    if (running) return;
    const item = items.shift();
    if (item === undefined) {
      drops.idle();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    running = true;
    current = startCall(o, item, (r) => {
      current = undefined;
      settle(o, counts, item, r);
      running = false;
      pump();
    });
  };

  const whenIdle = (): Promise<void> =>
    new Promise((resolve) => {
      if (!running && items.length === 0) resolve();
      else idleWaiters.push(resolve);
    });

  return {
    push(item) {
      if (closing) {
        drops.dropped('closing', item);
        return;
      }
      if (items.length >= o.capacity) {
        const oldest = items.shift();
        if (oldest !== undefined) drops.dropped(`queue full (capacity ${o.capacity})`, oldest);
      }
      if (o.capacity > 0) items.push(item);
      else drops.dropped('queue capacity is 0', item);
      // Start on a microtask so push() never runs plugin code (spawn, connect) in the caller's frame.
      if (!running) queueMicrotask(pump);
    },
    stats: () => ({ queued: items.length, running: running ? 1 : 0, ...counts }),
    close() {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        let graceOver = false;
        const cancel = o.clock.setTimeout(() => {
          graceOver = true;
          const rest = items.splice(0);
          if (rest.length > 0) {
            counts.dropped += rest.length;
            o.logger.warn(`${tag}: closing, dropped ${rest.length} undelivered event(s)`);
          }
          current?.abort();
          void whenIdle().then(resolve);
        }, o.closeGraceMs);
        void whenIdle().then(() => {
          if (graceOver) return;
          cancel();
          resolve();
        });
      });
      return closed;
    },
  };
}
