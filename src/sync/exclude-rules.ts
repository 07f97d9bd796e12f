// The fewest rsync exclude patterns with the verdict of the exclude walk (watch/walk.ts +
// exclude-match.ts) over one walked directory S: rsync tries every rule on every entry it walks,
// so 100k literal rules made a full sync of 5,000 entries 40x slower. Pure.
//
//   excluded directory           -> `/S/a/b/`      one rule, nothing below it (the walk prunes)
//   excluded files sharing a     -> `/S/**.ext`    when no kept entry below S ends with `.ext`
//     suffix `.ext` (2 or more)                    (`**` crosses directories, so one rule)
//   any other excluded file      -> `/S/a/f`       literal
//
// Every pattern is anchored (`/`, relative to the transfer root); in a pattern with a wildcard
// rsync reads `\` as an escape, so the literal parts of a suffix rule escape `*?[\`; a pattern
// without one is literal as written (literalPattern).
import { literalPattern } from './argv.js';

/** What the walk of one start directory found. */
export interface WalkFindings {
  /** The walked directory, relative to the root ('' = the root). */
  readonly start: string;
  /** Excluded entries (relative paths); the walk did not enter excluded directories. */
  readonly excluded: readonly { readonly rel: string; readonly isDir: boolean }[];
  /** Every dot suffix of every kept entry's name below `start` (keptSuffixes). */
  readonly keptSuffixes: ReadonlySet<string>;
}

/** The suffixes of `name` that start at a dot (`a.tar.gz` -> `.tar.gz`, `.gz`). */
export function dotSuffixes(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) out.push(name.slice(i));
  return out;
}

function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** Backslash-escapes rsync's wildcard characters, for the literal parts of a wildcard pattern. */
function escapeWild(s: string): string {
  return s.replace(/[*?[\\]/g, (c) => `\\${c}`);
}

/** The last dot suffix of a name (`a.tar.gz` -> `.gz`, `.DS_Store` -> itself), if any. */
function lastSuffix(name: string): string | undefined {
  const i = name.lastIndexOf('.');
  return i < 0 ? undefined : name.slice(i);
}

/**
 * The exclude patterns (for `--exclude-from` with `--from0`) of one walked directory. Excluded
 * files are covered by a suffix rule when at least two share the suffix and no kept entry below
 * the start has it (so the rule excludes nothing the walk kept); the rest stay literal.
 */
export function excludePatterns(f: WalkFindings): string[] {
  const out: string[] = [];
  const bySuffix = new Map<string, string[]>();
  for (const e of f.excluded) {
    if (e.isDir) {
      out.push(`${literalPattern(e.rel)}/`);
      continue;
    }
    const sfx = lastSuffix(baseName(e.rel));
    if (sfx === undefined || f.keptSuffixes.has(sfx)) out.push(literalPattern(e.rel));
    else {
      const rels = bySuffix.get(sfx);
      if (rels === undefined) bySuffix.set(sfx, [e.rel]);
      else rels.push(e.rel);
    }
  }
  const prefix = f.start === '' ? '' : `/${escapeWild(f.start)}`;
  for (const [sfx, rels] of bySuffix) {
    if (rels.length >= 2) out.push(`${prefix}/**${escapeWild(sfx)}`);
    else out.push(...rels.map(literalPattern));
  }
  return out;
}
