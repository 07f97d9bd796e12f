// Stage stamps of path runs for the bench's `--logs` (docs/performance.md "Where the ms of a lone
// change go"): when the queue first and last got a change of a path, so the sync service can log
// event -> dispatch -> worker -> spawn -> close per run. Off unless the service logs at debug level;
// when off every call is one branch. Bounded: at most MAX_PATHS paths wait for their run. Pure
// (times are handed in).

/** When the queue got the first and the last change of a path since its last run. */
export interface EventStamps {
  readonly firstAt: number;
  readonly lastAt: number;
}

const MAX_PATHS = 4096;

export class StageStamps {
  #on = false;
  readonly #byPath = new Map<string, { firstAt: number; lastAt: number }>();

  get enabled(): boolean {
    return this.#on;
  }

  enable(on: boolean): void {
    this.#on = on;
    if (!on) this.#byPath.clear();
  }

  /** A change of `path` under `root` reached the queue at `at`. */
  event(root: string, path: string, at: number): void {
    if (!this.#on) return;
    const key = `${root}\u0000${path}`;
    const known = this.#byPath.get(key);
    if (known !== undefined) {
      known.lastAt = at;
      return;
    }
    if (this.#byPath.size >= MAX_PATHS) this.#byPath.clear(); // a burst: stamps are for lone changes
    this.#byPath.set(key, { firstAt: at, lastAt: at });
  }

  /** The earliest first and the latest last change of `paths` (forgotten now), or undefined. */
  take(root: string, paths: readonly string[]): EventStamps | undefined {
    if (!this.#on) return undefined;
    let firstAt = Infinity;
    let lastAt = -Infinity;
    for (const p of paths) {
      const key = `${root}\u0000${p}`;
      const s = this.#byPath.get(key);
      if (s === undefined) continue;
      this.#byPath.delete(key);
      firstAt = Math.min(firstAt, s.firstAt);
      lastAt = Math.max(lastAt, s.lastAt);
    }
    return firstAt === Infinity ? undefined : { firstAt, lastAt };
  }
}

/** The process's stamps (the queue writes them, the sync service reads them). */
export const stageStamps = new StageStamps();
