// When each unsynced path of one target was first seen changing, for the change-seen -> on-target
// latency (`sersync_sync_latency_seconds`). Kept beside the merge queue, not in it: the queue's
// readiness rules stay untouched. A path trie (one insert per new path); a synced directory takes
// what is below it at the cost of that subtree. Time is a parameter. Pure.
import { PathTrie } from './path-trie.js';

/** First-seen times of the paths of one target that changed and have not reached it yet. */
export class SeenTimes {
  #at = new PathTrie<number>();

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
    for (const e of synced) {
      const t = this.#at.get(e.path);
      if (t !== undefined && this.#at.delete(e.path)) out.push(t);
      if (e.isDir) for (const below of this.#at.takeDescendants(e.path)) out.push(below);
    }
    return out;
  }

  /** Takes over `other`'s times (the earlier one counts where both saw a path); `other` is emptied. */
  absorb(other: SeenTimes): void {
    for (const [path, t] of other.#at.entries()) {
      const mine = this.#at.get(path);
      if (mine === undefined || t < mine) this.#at.set(path, t);
    }
    other.clear();
  }

  /** Nothing is queued nor in flight: forget paths the queue dropped unsynced (created and deleted at once). */
  clear(): void {
    if (this.#at.size > 0) this.#at = new PathTrie();
  }
}
