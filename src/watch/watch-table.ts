// The inotify watch table of one root: watch descriptor <-> directory path (relative to the root,
// '' for the root itself), with subtree removal and subtree rename. Pure (no I/O).

/** Parent of a relative path ('' for top-level names); undefined for the root ''. */
export function parentOf(path: string): string | undefined {
  if (path === '') return undefined;
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Joins a relative directory path and an entry name. */
export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * wd <-> path map for one inotify instance. Every operation costs O(1) or O(size of the subtree
 * involved), never O(all watches) (sersync's and parcel's removal scanned everything).
 * Paths are relative, '/'-separated, '' is the root. A path maps to at most one wd and a wd to at
 * most one path; `add` replaces older entries on either side.
 */
export class WatchTable {
  readonly #wdToPath = new Map<number, string>();
  readonly #pathToWd = new Map<string, number>();
  /** parent path -> paths of its children present in the table. */
  readonly #children = new Map<string, Set<string>>();

  /** Number of watched directories. */
  get size(): number {
    return this.#wdToPath.size;
  }

  /** Path of `wd`, or undefined if unknown (e.g. already forgotten). */
  pathOf(wd: number): string | undefined {
    return this.#wdToPath.get(wd);
  }

  /** wd of `path`, or undefined if the directory is not watched. */
  wdOf(path: string): number | undefined {
    return this.#pathToWd.get(path);
  }

  /**
   * Records that `path` is watched as `wd`. Returns true when this is a new watch, false when the
   * same wd was already recorded at the same path (inotify returns the existing wd for an inode
   * that is already watched).
   */
  add(wd: number, path: string): boolean {
    if (this.#wdToPath.get(wd) === path) return false;
    this.removeWd(wd);
    const old = this.#pathToWd.get(path);
    if (old !== undefined) this.removeWd(old);
    this.#wdToPath.set(wd, path);
    this.#pathToWd.set(path, wd);
    const parent = parentOf(path);
    if (parent !== undefined) {
      let set = this.#children.get(parent);
      if (!set) this.#children.set(parent, (set = new Set()));
      set.add(path);
    }
    return true;
  }

  /** Forgets one wd (IN_IGNORED, IN_DELETE_SELF). Returns its path, or undefined if unknown. */
  removeWd(wd: number): string | undefined {
    const path = this.#wdToPath.get(wd);
    if (path === undefined) return undefined;
    this.#wdToPath.delete(wd);
    if (this.#pathToWd.get(path) === wd) {
      this.#pathToWd.delete(path);
      const parent = parentOf(path);
      if (parent !== undefined) {
        const set = this.#children.get(parent);
        set?.delete(path);
        if (set?.size === 0) this.#children.delete(parent);
      }
    }
    return path;
  }

  /** Watched paths at or below `path` (parents before children). */
  subtree(path: string): string[] {
    const out: string[] = [];
    if (this.#pathToWd.has(path)) out.push(path);
    const stack = [path];
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      for (const c of this.#children.get(p) ?? []) {
        out.push(c);
        stack.push(c);
      }
    }
    return out;
  }

  /** Forgets `path` and everything below it (a directory moved out). Returns the wds removed. */
  removeSubtree(path: string): number[] {
    const wds: number[] = [];
    for (const p of this.subtree(path)) {
      const wd = this.#pathToWd.get(p);
      if (wd !== undefined) {
        this.removeWd(wd);
        wds.push(wd);
      }
    }
    return wds;
  }

  /**
   * A directory was renamed inside the root: every watch at or below `from` now lives below `to`.
   * Stale watches already recorded at or below `to` (a directory replaced by the rename) are
   * forgotten first and their wds returned, so the caller can rm them.
   */
  renameSubtree(from: string, to: string): number[] {
    if (from === to) return [];
    const moving = this.subtree(from).map((p) => [p, this.#pathToWd.get(p)] as const);
    for (const [, wd] of moving) if (wd !== undefined) this.removeWd(wd);
    const stale = this.removeSubtree(to);
    for (const [p, wd] of moving) {
      if (wd !== undefined) this.add(wd, to + p.slice(from.length));
    }
    return stale;
  }

  /** All (wd, path) pairs, for closing. No order is guaranteed. */
  entries(): IterableIterator<[number, string]> {
    return this.#wdToPath.entries();
  }
}
