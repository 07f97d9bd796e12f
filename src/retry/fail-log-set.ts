// The outstanding failures the <failLog> file must show: per target, path -> latest wait status,
// plus the part recorded since the last write (what an append adds). Pure (in-memory state).
import type { Target } from '../queue/types.js';
import type { TargetFailures } from './fail-log-render.js';

function add(m: Map<string, TargetFailures>, target: Target, path: string, status: number): void {
  let t = m.get(target.key);
  if (t === undefined) m.set(target.key, (t = { target, paths: new Map() }));
  t.paths.set(path, status);
}

export class FailureSet {
  /** Everything outstanding, by target key. */
  readonly all = new Map<string, TargetFailures>();
  /** Recorded but not yet in the file: appended at the next write. */
  readonly fresh = new Map<string, TargetFailures>();

  /** An entry already in the file (found at start): outstanding, nothing to append. */
  found(target: Target, path: string, status: number): void {
    add(this.all, target, path, status);
  }

  /** New failures: a path not outstanding yet is also appended at the next write. */
  record(target: Target, paths: readonly string[], status: number): void {
    for (const p of paths) {
      if (this.all.get(target.key)?.paths.has(p) !== true) add(this.fresh, target, p, status);
      add(this.all, target, p, status);
    }
  }

  /** Drops `paths` of `target`; true when one of them was already in the file (a rewrite is due). */
  resolve(target: Target, paths: readonly string[]): boolean {
    const t = this.all.get(target.key);
    if (t === undefined) return false;
    const fresh = this.fresh.get(target.key);
    let inFile = false;
    for (const p of paths) {
      if (!t.paths.delete(p)) continue;
      if (fresh?.paths.delete(p) !== true) inFile = true;
    }
    if (t.paths.size === 0) this.all.delete(target.key);
    if (fresh?.paths.size === 0) this.fresh.delete(target.key);
    return inFile;
  }

  /** The file now holds everything: nothing left to append. */
  written(): void {
    this.fresh.clear();
  }

  /** target key -> path -> status. A copy. */
  snapshot(): Map<string, Map<string, number>> {
    return new Map([...this.all].map(([k, t]) => [k, new Map(t.paths)]));
  }
}
