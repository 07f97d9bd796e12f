// Splits the entries taken in one scheduling pass for one target into rsync batches: as few runs
// as possible, spread over free workers only when each run still carries enough. Pure.
import { segments } from './path-trie.js';
import type { Entry, EntryGroup, Target } from './types.js';

export interface ShardOptions {
  /** At most this many batches (the free workers this target may use). >= 1. */
  readonly shards: number;
  /** At most this many entries per batch. >= 1. */
  readonly maxEntries: number;
  /** Do not split into batches smaller than this (one run costs ~110-150 ms whatever it carries). >= 1. */
  readonly minEntries: number;
}

/**
 * Entries -> batches for `target`, in the given order (oldest first), sizes differing by at most
 * one. Batches never overlap: entries must already be pairwise non-overlapping (PendingSet
 * guarantees it); an entry below another one is dropped here as a safety net, since the ancestor's
 * recursive run covers it. Throws (a bug in the caller) when the entries do not fit in
 * `shards * maxEntries`. Big files or directories are NOT isolated: the queue does not know sizes.
 */
export function shard(target: Target, entries: readonly Entry[], opts: ShardOptions): EntryGroup[] {
  if (opts.shards < 1 || opts.maxEntries < 1 || opts.minEntries < 1) {
    throw new RangeError(`Internal error: shard options must be >= 1: ${JSON.stringify(opts)}`);
  }
  const kept = dropCovered(entries);
  if (kept.length === 0) return [];
  if (kept.length > opts.shards * opts.maxEntries) {
    throw new RangeError(
      `Internal error: ${kept.length} entries do not fit in ${opts.shards} batches of ${opts.maxEntries}`,
    );
  }
  const byMin = Math.max(1, Math.floor(kept.length / opts.minEntries)); // every batch >= minEntries
  const byMax = Math.ceil(kept.length / opts.maxEntries);
  const count = Math.max(byMax, Math.min(opts.shards, byMin));
  const batches: EntryGroup[] = [];
  const base = Math.floor(kept.length / count);
  const extra = kept.length % count;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = base + (i < extra ? 1 : 0);
    batches.push({ target, entries: kept.slice(at, at + n) });
    at += n;
  }
  return batches;
}

/** Keeps the input order; drops exact duplicates and entries below another entry of the list. */
function dropCovered(entries: readonly Entry[]): Entry[] {
  const paths = new Set(entries.map((e) => e.path));
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const e of entries) {
    if (seen.has(e.path) || hasListedAncestor(e.path, paths)) continue;
    seen.add(e.path);
    out.push(e);
  }
  return out;
}

function hasListedAncestor(path: string, paths: ReadonlySet<string>): boolean {
  if (path === '') return false;
  if (paths.has('')) return true;
  const segs = segments(path);
  let prefix = '';
  for (let i = 0; i < segs.length - 1; i++) {
    prefix = i === 0 ? (segs[0] ?? '') : `${prefix}/${segs[i] ?? ''}`;
    if (paths.has(prefix)) return true;
  }
  return false;
}
