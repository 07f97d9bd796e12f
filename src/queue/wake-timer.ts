// The scheduler's one timer: armed for the earliest reason to pass again, on the injected Clock;
// a change that made something ready right now passes once the caller's synchronous work is done
// (a microtask), not a timer tick (>= 1 ms) later. Shell (time comes from the Clock).
import type { Clock } from '../util/clock.js';

export class WakeTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #at = Infinity;
  #cancel: (() => void) | null = null;

  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Fires at `at` unless an earlier wake is armed. `soon`: at or before now, fire after the current job. */
  arm(at: number, soon = false): void {
    if (at >= this.#at) return;
    this.disarm();
    this.#at = at;
    const fire = (): void => {
      this.#at = Infinity;
      this.#cancel = null;
      this.#fire();
    };
    if (soon && at <= this.#clock.now()) {
      let cancelled = false;
      this.#cancel = () => {
        cancelled = true;
      };
      queueMicrotask(() => {
        if (!cancelled) fire();
      });
      return;
    }
    this.#cancel = this.#clock.setTimeout(fire, Math.max(0, at - this.#clock.now()));
  }

  disarm(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#at = Infinity;
  }
}
