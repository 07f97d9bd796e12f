// When each unsynced path of one target was first seen changing, for the change-seen -> on-target
// latency (`sersync_sync_latency_seconds`). Kept beside the merge queue, not in it: the queue's
// readiness rules stay untouched. A plain map (one insert per new path); a synced directory takes
// what is below it in one pass per settled run. Time is a parameter. Pure.

/** First-seen times of the paths of one target that changed and have not reached it yet. */
export class SeenTimes {
  #at = new Map<string, number>();

  /** A change of `path` seen at `now` (the first one counts until the path is synced). */
  saw(path: string, now: number): void {
    if (!this.#at.has(path)) this.#at.set(path, now);
  }

  /**
   * `synced` reached the target (`isDir`: recursively, with everything below it; the root '' is a
   * directory): returns the first-seen times of those paths and of every path below a synced
   * directory, and forgets them.
   */
  synced(synced: readonly { readonly path: string; readonly isDir: boolean }[]): number[] {
    const out: number[] = [];
    const dirs = new Set<string>();
    for (const e of synced) {
      const t = this.#at.get(e.path);
      if (t !== undefined) {
        out.push(t);
        this.#at.delete(e.path);
      }
      if (e.isDir) dirs.add(e.path);
    }
    if (dirs.size === 0 || this.#at.size === 0) return out;
    for (const [path, t] of this.#at)
      if (below(path, dirs)) {
        out.push(t);
        this.#at.delete(path);
      }
    return out;
  }

  /** Nothing is queued nor in flight: forget paths the queue dropped unsynced (created and deleted at once). */
  clear(): void {
    if (this.#at.size > 0) this.#at = new Map();
  }
}

/** Whether `path` is strictly below one of `dirs` ('' is the root: everything is below it). */
function below(path: string, dirs: ReadonlySet<string>): boolean {
  if (dirs.has('')) return true;
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1))
    if (dirs.has(path.slice(0, cut))) return true;
  return false;
}
