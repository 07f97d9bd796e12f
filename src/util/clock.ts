// Injected time source: pure code takes `now`, shells take a Clock so tests can use a fake one.

/** Milliseconds clock plus a cancellable one-shot timer. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. The timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => {
      clearTimeout(t);
    };
  },
};
