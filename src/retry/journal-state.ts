// The journal's replayed state: per target key, the paths still outstanding (a 'pending' with no
// later 'done') and their encoded size, which decides when compaction pays. Pure: replay and
// append() both go through apply(), so the file and the memory agree by construction.
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

/** Target key -> path -> live entry (Map order = first-seen order). */
export class JournalState {
  readonly #byTarget = new Map<string, Map<string, Live>>();
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
      const old = paths?.get(r.path);
      if (old?.op === op && old.isDir === isDir) return false;
      if (paths === undefined) {
        paths = new Map();
        this.#byTarget.set(r.targetKey, paths);
      }
      this.#liveBytes += size - (old?.size ?? 0);
      paths.set(r.path, { op, isDir, size }); // an existing key keeps its first-seen position
      return true;
    }
    if (paths === undefined) return false;
    let changed = this.#drop(paths, r.path);
    if (r.subtree === true) {
      const prefix = r.path === '' ? '' : `${r.path}/`;
      for (const p of paths.keys())
        if (p.startsWith(prefix)) changed = this.#drop(paths, p) || changed;
    }
    if (paths.size === 0) this.#byTarget.delete(r.targetKey);
    return changed;
  }

  #drop(paths: Map<string, Live>, path: string): boolean {
    const old = paths.get(path);
    if (old === undefined) return false;
    this.#liveBytes -= old.size;
    return paths.delete(path);
  }

  /** The live records, as compaction writes them. */
  *records(): Generator<JournalRecord> {
    for (const [targetKey, paths] of this.#byTarget) {
      for (const [path, { op, isDir }] of paths)
        yield { kind: 'pending', targetKey, path, op, isDir };
    }
  }

  /** Outstanding paths per target key, in first-seen order. A copy. */
  outstanding(): Map<string, OutstandingPath[]> {
    const out = new Map<string, OutstandingPath[]>();
    for (const [key, paths] of this.#byTarget) {
      out.set(
        key,
        [...paths].map(([path, { op, isDir }]) => ({ path, op, isDir })),
      );
    }
    return out;
  }
}
