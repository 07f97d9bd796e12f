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

/** Rebuilds rules sent across a thread boundary as sources (full-match sources, no flags). */
export function compileSources(sources: readonly string[]): RegExp[] {
  return sources.map((s) => new RegExp(s));
}
