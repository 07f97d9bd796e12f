// A manual Clock for unit tests: time moves only through advance(); timers fire in time order.
// Also a deferred() and drain() for controlling fake async work without real sleeps.
import type { Clock } from '../../src/util/clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Fake time. `advance` fires every due timer in (time, creation) order, draining promise jobs after each. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fn,
      cancelled: false,
    };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Live (not cancelled, not fired) timers. */
  get timerCount(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** When the next live timer fires, or null. */
  nextTimerAt(): number | null {
    const next = this.#next();
    return next === undefined ? null : next.at;
  }

  /**
   * Moves time forward by `ms`, firing each due timer at its own time (timers armed by timers
   * fire too when due) and letting promise continuations run after each one.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await drain();
    for (;;) {
      const next = this.#next();
      if (next === undefined || next.at > end) break;
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      next.fn();
      await drain();
    }
    this.#now = end;
    await drain();
  }

  /** Advances straight to the next timer and fires it (and anything due at the same time). */
  async runNext(): Promise<boolean> {
    const at = this.nextTimerAt();
    if (at === null) return false;
    await this.advance(at - this.#now);
    return true;
  }

  #next(): Timer | undefined {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    let best: Timer | undefined;
    for (const t of this.#timers)
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every pending promise continuation run (one macrotask turn; not a time-based wait). */
export function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
