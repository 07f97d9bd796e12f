// When each unsynced path of one target was first seen changing, for the change-seen -> on-target
// latency (`sersync_sync_latency_seconds`). Kept beside the merge queue, not in it: the queue's
// readiness rules stay untouched. Time is a parameter. Pure.
import { PathTrie } from './path-trie.js';

/** First-seen times of the paths of one target that changed and have not reached it yet. */
export class SeenTimes {
  #trie = new PathTrie<number>();

  /** A change of `path` seen at `now` (the first one counts until the path is synced). */
  saw(path: string, now: number): void {
    if (this.#trie.get(path) === undefined) this.#trie.set(path, now);
  }

  /**
   * `path` reached the target (`subtree`: recursively, a directory or the root ''): returns the
   * first-seen time of it and of every path below it that it carried, and forgets them.
   */
  synced(path: string, subtree: boolean): number[] {
    const out: number[] = [];
    const own = this.#trie.get(path);
    if (own !== undefined) {
      out.push(own);
      this.#trie.delete(path);
    }
    if (subtree) out.push(...this.#trie.takeDescendants(path));
    return out;
  }

  /** Nothing is queued nor in flight: forget paths the queue dropped unsynced (created and deleted at once). */
  clear(): void {
    if (this.#trie.size > 0) this.#trie = new PathTrie<number>();
  }
}
