// Reads a settled batch's outcome: which entries reached the target and which must be retried.
// Pure.
import type { BatchOutcome, Entry } from './types.js';
import { unreachable } from '../util/unreachable.js';

/**
 * Which entries of a settled batch reached the target, which must be retried, and why. A failed
 * path of a `partial` outcome maps to the entry that is it or contains it (a directory entry is
 * retried whole); a failed path that matches no entry, or a `partial` without paths, retries the
 * whole batch: nothing is ever dropped.
 */
export function split(
  entries: readonly Entry[],
  outcome: BatchOutcome,
): { synced: Entry[]; failed: Entry[]; reason: string } {
  switch (outcome.kind) {
    case 'ok':
      return { synced: [...entries], failed: [], reason: '' };
    case 'failed':
      return { synced: [], failed: [...entries], reason: outcome.reason };
    case 'partial': {
      const reason = `partial transfer: ${outcome.failedPaths.length} path(s) failed`;
      const { covered, stray, outside } = coveringEntries(entries, outcome.failedPaths);
      // A failed path we cannot place: nothing can be assumed, retry everything (never drop).
      // Only "." or implied parents named: every entry arrived (the runner reports it as a warning).
      if (stray.length === 0 && covered.length === 0 && outside.length > 0)
        return { synced: [...entries], failed: [], reason: '' };
      if (stray.length > 0 || covered.length === 0)
        return { synced: [], failed: [...entries], reason };
      const hit = new Set(covered);
      return {
        synced: entries.filter((e) => !hit.has(e)),
        failed: entries.filter((e) => hit.has(e)),
        reason,
      };
    }
    default:
      return unreachable(outcome);
  }
}

/**
 * A full sync's outcome: `partial` naming paths (exit 23/24: files that vanished while it ran,
 * files it could not read) means the tree arrived except those paths, which are retried as paths
 * (a vanished one is deleted at the target by that retry, if the realtime delete did not already);
 * anything else is the whole root.
 */
export function splitFull(
  entries: readonly Entry[],
  outcome: BatchOutcome,
): { synced: Entry[]; failed: Entry[]; reason: string } {
  const root = entries[0];
  if (outcome.kind !== 'partial' || root === undefined) return split(entries, outcome);
  const named = [...new Set(outcome.failedPaths.map(normalisePath))].filter((p) => p !== '');
  if (named.length === 0) return split(entries, outcome);
  return {
    synced: [root],
    failed: named.map((path) => ({ path, op: 'upsert', isDir: false, attempts: root.attempts })),
    reason: `partial transfer: ${named.length} path(s) failed`,
  };
}

/**
 * THE mapping of failed paths (as rsync names them) to the entries that cover them: the entry that
 * is the path or its nearest listed ancestor ('' covers everything). Used by the runner (for the
 * fail log) and by `split` (for the retry), so both agree. `outside`: paths outside the batch
 * that rsync touched only as the transfer's root (".") or as an implied parent directory of a
 * listed path (`-R`); a problem there (rsync cannot set the times of ".") says nothing about the
 * entries. `stray`: any other path no entry covers.
 */
export function coveringEntries(
  entries: readonly Entry[],
  paths: readonly string[],
): { covered: Entry[]; stray: string[]; outside: string[] } {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const covered = new Set<Entry>();
  const stray: string[] = [];
  const outside: string[] = [];
  let parents: Set<string> | undefined;
  for (const p of paths) {
    const e = coveringEntry(p, byPath);
    if (e !== undefined) covered.add(e);
    else if ((parents ??= impliedParents(entries)).has(normalisePath(p))) outside.push(p);
    else stray.push(p);
  }
  return { covered: [...covered], stray, outside };
}

/** `path` as entries name it: no leading `./` or `/`, no trailing `/`, the root as ''. */
export function normalisePath(path: string): string {
  const p = path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}

/** The root ('') and every proper ancestor directory of the entries' paths. */
function impliedParents(entries: readonly Entry[]): Set<string> {
  const out = new Set<string>(['']);
  for (const e of entries) {
    let cut = e.path.lastIndexOf('/');
    while (cut > 0) {
      const dir = e.path.slice(0, cut);
      if (out.has(dir)) break;
      out.add(dir);
      cut = dir.lastIndexOf('/');
    }
  }
  return out;
}

/** The entry whose path is `path` or one of its ancestors ('' covers everything). */
function coveringEntry(path: string, byPath: ReadonlyMap<string, Entry>): Entry | undefined {
  let p = normalisePath(path);
  for (;;) {
    const e = byPath.get(p);
    if (e !== undefined) return e;
    if (p === '') return undefined;
    const cut = p.lastIndexOf('/');
    p = cut < 0 ? '' : p.slice(0, cut);
  }
}
