// The journal's replayed state: per target key, the paths still outstanding (a 'pending' with no
// later 'done') and their encoded size, which decides when compaction pays. Pure: replay and
// append() both go through apply(), so the file and the memory agree by construction. A 'done'
// for a subtree costs the size of that subtree (a path trie per target), not the outstanding count.
import { PathTrie } from '../queue/path-trie.js';
import { encodedSize, type JournalRecord } from './journal-codec.js';

/** An outstanding path as replay hands it back (absent op / isDir read as upsert / false). */
export interface OutstandingPath {
  readonly path: string;
  readonly op: 'upsert' | 'remove';
  readonly isDir: boolean;
}

interface Live {
  readonly op: 'upsert' | 'remove';
  readonly isDir: boolean;
  /** Encoded size of the record compaction writes for it. */
  readonly size: number;
}

/** One target's outstanding paths: first-seen order (the Map) and a trie of the same keys for subtrees. */
interface TargetPaths {
  readonly order: Map<string, Live>;
  readonly tree: PathTrie<string>;
}

/** Target key -> path -> live entry (Map order = first-seen order). */
export class JournalState {
  readonly #byTarget = new Map<string, TargetPaths>();
  #liveBytes = 0;

  /** Encoded size of the live records: what a compacted file holds after its header. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Applies `r` (`size`: its encoded size); returns whether the state changed (i.e. whether the record must be written). */
  apply(r: JournalRecord, size = encodedSize(r.targetKey, r.path)): boolean {
    let paths = this.#byTarget.get(r.targetKey);
    if (r.kind === 'pending') {
      const op = r.op ?? 'upsert';
      const isDir = r.isDir ?? false;
      const old = paths?.order.get(r.path);
      if (old?.op === op && old.isDir === isDir) return false;
      if (paths === undefined) {
        paths = { order: new Map(), tree: new PathTrie() };
        this.#byTarget.set(r.targetKey, paths);
      }
      this.#liveBytes += size - (old?.size ?? 0);
      paths.order.set(r.path, { op, isDir, size }); // an existing key keeps its first-seen position
      if (old === undefined) paths.tree.set(r.path, r.path);
      return true;
    }
    if (paths === undefined) return false;
    let changed = this.#drop(paths.order, r.path);
    paths.tree.delete(r.path);
    // Strict descendants only: paths.tree holds exactly the keys of paths.order.
    if (r.subtree === true)
      for (const p of paths.tree.takeDescendants(r.path))
        changed = this.#drop(paths.order, p) || changed;
    if (paths.order.size === 0) this.#byTarget.delete(r.targetKey);
    return changed;
  }

  #drop(order: Map<string, Live>, path: string): boolean {
    const old = order.get(path);
    if (old === undefined) return false;
    this.#liveBytes -= old.size;
    return order.delete(path);
  }

  /** The live records, as compaction writes them. */
  *records(): Generator<JournalRecord> {
    for (const [targetKey, paths] of this.#byTarget) {
      for (const [path, { op, isDir }] of paths.order)
        yield { kind: 'pending', targetKey, path, op, isDir };
    }
  }

  /** Outstanding paths per target key, in first-seen order. A copy. */
  outstanding(): Map<string, OutstandingPath[]> {
    const out = new Map<string, OutstandingPath[]>();
    for (const [key, paths] of this.#byTarget) {
      out.set(
        key,
        [...paths.order].map(([path, { op, isDir }]) => ({ path, op, isDir })),
      );
    }
    return out;
  }
}
