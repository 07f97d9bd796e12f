// The windows of removals per directory that hold a removal back while more keep arriving next to
// it: `rm -rf d` unlinks every file before d itself, and d's removal then swallows them all,
// instead of the files leaving in runs of their own while the unlinking goes on. Used by
// pending.ts. Time is a parameter. Pure.

export class RemovalWindows {
  readonly #quietMs: number;
  readonly #maxHoldMs: number;
  /** Directory -> its current window of removals: first and last arrival (swept when stale). */
  readonly #byDir = new Map<string, { first: number; last: number }>();
  #sweepAt = 0;

  constructor(quietMs: number, maxHoldMs: number) {
    this.#quietMs = quietMs;
    this.#maxHoldMs = maxHoldMs;
  }

  /** A removal of `path` arrived at `now`. */
  note(path: string, now: number): void {
    const dir = dirOf(path);
    const w = this.#byDir.get(dir);
    // A window closes maxHoldMs after it opened (its removals then go); later ones open the next.
    if (w === undefined || now >= w.first + this.#maxHoldMs)
      this.#byDir.set(dir, { first: now, last: now });
    else w.last = now;
  }

  /** Forgets the windows quiet for maxHoldMs (looks at most once per maxHoldMs). */
  sweep(now: number): void {
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + this.#maxHoldMs;
    for (const [dir, w] of this.#byDir)
      if (w.last + this.#maxHoldMs <= now) this.#byDir.delete(dir);
  }

  /**
   * When a removal of `path` (its last change at `last`, ready at `own` by itself) may go: if it
   * arrived in its directory's current window and more came after it, not before that window is
   * quiet for quietMs, nor later than maxHoldMs after it opened.
   */
  readyAt(path: string, last: number, own: number): number {
    const w = this.#byDir.get(dirOf(path));
    if (w === undefined || last < w.first || w.last <= last) return own;
    return Math.max(own, Math.min(w.last + this.#quietMs, w.first + this.#maxHoldMs));
  }
}

function dirOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? '' : path.slice(0, cut);
}
