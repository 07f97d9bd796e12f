// Pure helpers of the batch runner: the log text of a batch, which renamed directories get a
// rename run of their own (and with which basis), the prepared remotes, the run facts. Pure.
import type { Config } from '../config/types.js';
import type { BatchOutcome, Entry, RunFacts } from '../queue/types.js';
import { isRenameSafePath, prepareRemote, type PreparedRemote, type RenameBasis } from './argv.js';
import type { RunResult } from './protocol.js';
import { displayName, hasRawBytes } from '../util/byte-names.js';

/**
 * A path in a log line, double-quoted: displayName (one line, never lossy: a raw byte is `\xfc`, a
 * newline `\n`, a backslash `\\`) with `"` as `\"`, so a name cannot forge a log line.
 */
export const quotePath = (p: string): string => `"${displayName(p).replace(/"/g, '\\"')}"`;

/** Log text for a batch: the count and the first paths (quotePath). */
export function describePaths(entries: readonly Entry[], shown = 5): string {
  const list = entries
    .slice(0, shown)
    .map((e) => `${e.op === 'remove' ? '-' : '+'}${quotePath(e.path)}`)
    .join(' ');
  const more = entries.length > shown ? ` +${entries.length - shown} more` : '';
  return ` [${list}${more}]`;
}

const argvSafe = (rel: string): boolean => isRenameSafePath(rel) && !hasRawBytes(rel);

/**
 * The renamed directories of a batch that get a dedicated rename run first: directory upserts with
 * `renamedFrom` whose old path the same batch removes (so nothing else syncs the old path while the
 * rename run reads it, and it is deleted only after), both names rename-safe and without raw
 * (non-UTF-8) bytes, which an argv cannot carry (they take the plain batch, on stdin). None when
 * `<filter>` excludes are on (the rename run would not apply them).
 */
export function renameCandidates(
  entries: readonly Entry[],
  hasExcludes: boolean,
): (Entry & { readonly renamedFrom: string })[] {
  if (hasExcludes) return [];
  const removed = new Set(entries.filter((e) => e.op === 'remove').map((e) => e.path));
  return entries.filter(
    (e): e is Entry & { readonly renamedFrom: string } =>
      e.op === 'upsert' &&
      e.isDir &&
      e.renamedFrom !== undefined &&
      removed.has(e.renamedFrom) &&
      argvSafe(e.path) &&
      argvSafe(e.renamedFrom),
  );
}

/**
 * Hard links only when the target's old copy is about to be deleted (delete on, and the old path
 * no longer exists at the source); otherwise the two copies must not share inodes (rsync applies
 * attribute changes, and `--inplace` writes, to the existing inode), so the receiver copies.
 */
export function renameBasis(deleteOn: boolean, oldExistsAtSource: boolean): RenameBasis {
  return deleteOn && !oldExistsAtSource ? 'link' : 'copy';
}

/** prepareRemote once per (root, remote). */
export function cachedPrepare(
  config: Config,
): (root: string, remoteIndex: number) => PreparedRemote {
  const prepared = new Map<string, PreparedRemote>();
  return (root, remoteIndex) => {
    const key = `${root}\u0000${remoteIndex}`;
    let p = prepared.get(key);
    if (p === undefined) {
      p = prepareRemote(config, root, remoteIndex);
      prepared.set(key, p);
    }
    return p;
  };
}

/** The facts the worker measured for one run, as the outcome carries them. */
export function factsOf(r: RunResult): RunFacts {
  const facts = { durationMs: r.durationMs, items: r.itemsReported, bytes: r.bytes };
  return r.stamps === undefined ? facts : { ...facts, stamps: r.stamps };
}

/** `outcome` with the summed facts of the runs behind it (none ran: no facts). */
export function withFacts(outcome: BatchOutcome, facts: readonly RunFacts[]): BatchOutcome {
  if (facts.length === 0) return outcome;
  if (facts.length === 1) return { ...outcome, run: facts[0] as RunFacts };
  const run = facts.reduce((a, f) => ({
    durationMs: a.durationMs + f.durationMs,
    items: a.items + f.items,
    bytes: a.bytes + f.bytes,
  }));
  return { ...outcome, run };
}
