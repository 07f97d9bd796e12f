// The `<filter><exclude>` verdict for one path: every compiled rule (a FULL match, Boost
// regex_match, translated by config/boost-regex.ts) is tried on each subject form sersync 2.5.4
// used for the entry, and on our plain relative path, for the entry and every ancestor directory.
// Plain data in, boolean out: the watcher, the filter, the full-sync walk and the recursive sync
// of a new directory all ask this, so they agree. Pure (importable from a worker thread).

/**
 * The strings an exclude is matched against for the entry `rel` (relative to the watch root,
 * '/'-separated, not empty):
 * - `rel` itself: for an entry in the root that is sersync's realtime subject (the bare name);
 * - `/rel` for an entry below the root: sersync's realtime subject (`/dir/sub/name`);
 * - `rel/` for a directory: sersync's start-up walk subject (`dir/sub/`).
 */
export function excludeSubjects(rel: string, isDir: boolean): string[] {
  const out = [rel];
  if (rel.includes('/')) out.push(`/${rel}`);
  if (isDir) out.push(`${rel}/`);
  return out;
}

/** True when a rule fully matches one of the entry's own subjects (its ancestors are not tried). */
export function matchesEntry(rules: readonly RegExp[], rel: string, isDir: boolean): boolean {
  if (rules.length === 0 || rel === '') return false;
  for (const subject of excludeSubjects(rel, isDir)) {
    for (const rule of rules) {
      rule.lastIndex = 0; // harmless for non-global regexes; protects against a stray /g
      if (rule.test(subject)) return true;
    }
  }
  return false;
}

/**
 * True when `rel` or one of its ancestor directories is excluded (an excluded directory is never
 * watched, so nothing below it is seen or synced, as in sersync). The root ('') never is.
 */
export function matchesExcludePath(rules: readonly RegExp[], rel: string, isDir: boolean): boolean {
  if (rules.length === 0 || rel === '') return false;
  let slash = rel.indexOf('/');
  while (slash >= 0) {
    if (matchesEntry(rules, rel.slice(0, slash), true)) return true;
    slash = rel.indexOf('/', slash + 1);
  }
  return matchesEntry(rules, rel, isDir);
}

/** Bounds of a matcher's verdict caches (entries kept; the oldest goes first). */
export interface ExcludeCacheLimits {
  /** Directory verdicts ("this directory or an ancestor is excluded"). */
  readonly dirs: number;
  /** File verdicts (the watcher and the filter both ask for the same event). */
  readonly files: number;
}

export const EXCLUDE_CACHE_LIMITS: ExcludeCacheLimits = Object.freeze({ dirs: 8192, files: 4096 });

/** A map that forgets its oldest key beyond `max` entries (insertion order; a hit does not refresh). */
class BoundedMap<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: V): void {
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(key, value);
  }
}

/**
 * `matchesExcludePath` for fixed `rules`, with the verdicts cached: per directory (it or an
 * ancestor is excluded), so an event costs its own subjects plus one lookup of its parent, and per
 * file, so asking twice for one event costs one lookup. The verdict is a pure function of the
 * rules and the path, so the caches never go stale; new rules (a reload) mean a new matcher.
 */
export function createExcludeMatcher(
  rules: readonly RegExp[],
  limits: ExcludeCacheLimits = EXCLUDE_CACHE_LIMITS,
): (rel: string, isDir: boolean) => boolean {
  if (rules.length === 0) return () => false;
  const dirs = new BoundedMap<boolean>(limits.dirs);
  const files = new BoundedMap<boolean>(limits.files);
  const dirExcluded = (dir: string): boolean => {
    if (dir === '') return false;
    const known = dirs.get(dir);
    if (known !== undefined) return known;
    const cut = dir.lastIndexOf('/');
    const v = (cut >= 0 && dirExcluded(dir.slice(0, cut))) || matchesEntry(rules, dir, true);
    dirs.set(dir, v);
    return v;
  };
  return (rel, isDir) => {
    if (isDir) return dirExcluded(rel);
    if (rel === '') return false;
    const known = files.get(rel);
    if (known !== undefined) return known;
    const cut = rel.lastIndexOf('/');
    const v = (cut >= 0 && dirExcluded(rel.slice(0, cut))) || matchesEntry(rules, rel, false);
    files.set(rel, v);
    return v;
  };
}

/** Rebuilds rules sent across a thread boundary as sources (full-match sources, no flags). */
export function compileSources(sources: readonly string[]): RegExp[] {
  return sources.map((s) => new RegExp(s));
}
