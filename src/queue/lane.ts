// One target's state inside the scheduler: its pending set, its path runs in flight, the full sync
// that may run beside them and what must run again after it, and the failure gate. Pure (the
// scheduler owns time and runs; these helpers take `now`).
//
// A full sync beside realtime runs (docs/queue.md "Full sync beside realtime runs"): a queued full
// sync (the path '') waits for every run in flight and absorbs what is queued; once it runs, path
// runs go beside it. rsync builds the full sync's file list per directory while it runs, so a change
// made meanwhile can be undone by it (a file created after its directory was listed is removed by
// the --delete pass; a directory removed after it was listed is created again). So every path
// dispatched while the full sync is in flight is queued again when it settles, and changes still
// queued then simply run after it.
import { PathTrie } from './path-trie.js';
import { PendingSet, type PendingOptions } from './pending.js';
import { SeenTimes } from './seen.js';
import type { Entry, EntryGroup, Target } from './types.js';

/** The queue's path for the whole root (pending.ts: the ancestor of every path). Never leaves the scheduler. */
export const ROOT = '';

export interface Lane {
  readonly target: Target;
  readonly pending: PendingSet;
  /** Paths of this target's path runs in flight (they never overlap). The full sync is not here. */
  readonly inFlight: PathTrie<Entry>;
  /** Every run in flight, the full sync included. */
  readonly runs: Set<EntryGroup>;
  /** The full sync in flight, or null. */
  full: EntryGroup | null;
  /** Entries dispatched while the full sync is in flight: queued again when it settles (newest op per path). */
  readonly rerun: Map<string, Entry>;
  /** A full sync was asked for while one was in flight: it is queued when that one settles. */
  fullAgain: boolean;
  /** First-seen times of the changes not yet on the target (the full sync's own are in `fullSeen`). */
  seen: SeenTimes;
  /** First-seen times of what the full sync in flight carries. */
  fullSeen: SeenTimes | null;
  /** Whether a run in flight forbids dispatching `path` now (see `newLane`). */
  readonly isBusy: (path: string) => boolean;
  /** When the last change for this target arrived (-Infinity: never). */
  lastAddAt: number;
  /** Runs in a row that failed whole (the remote is likely down); 0 once a run reached it. */
  failStreak: number;
  /** While failStreak > 0: no run starts before this time, and then one at a time (a probe). */
  gateUntil: number;
}

/**
 * A lane with nothing queued. Busy: a path other than the root is busy while a PATH run overlapping
 * it is in flight (the full sync does not hold realtime changes back); the root (a queued full
 * sync) is busy while any run is in flight, the full sync included.
 */
export function newLane(target: Target, opts: PendingOptions): Lane {
  const inFlight = new PathTrie<Entry>();
  const runs = new Set<EntryGroup>();
  return {
    target,
    pending: new PendingSet(opts),
    inFlight,
    runs,
    full: null,
    rerun: new Map(),
    fullAgain: false,
    seen: new SeenTimes(),
    fullSeen: null,
    isBusy: (path) => (path === ROOT ? runs.size > 0 : inFlight.overlapsAny(path)),
    lastAddAt: -Infinity,
    failStreak: 0,
    gateUntil: -Infinity,
  };
}

/** Path runs in flight (what the dispatch policy counts: a full sync beside them does not slow realtime). */
export function pathRuns(lane: Lane): number {
  return lane.runs.size - (lane.full === null ? 0 : 1);
}

/** Records a run that starts now. */
export function started(lane: Lane, group: EntryGroup, isFull: boolean): void {
  lane.runs.add(group);
  if (isFull) {
    // Nothing else is queued nor in flight (the root absorbed it and waited): what was seen so far
    // is what this full sync carries.
    lane.full = group;
    lane.fullSeen = lane.seen;
    lane.seen = new SeenTimes();
    return;
  }
  for (const e of group.entries) {
    lane.inFlight.set(e.path, e);
    if (lane.full !== null) lane.rerun.set(e.path, e);
  }
}

/**
 * Records that `group` settled. For the full sync: the entries to queue again (dispatched beside
 * it), and the first-seen times it carried (`keep`: it failed, so they stay with the lane).
 */
export function settled(
  lane: Lane,
  group: EntryGroup,
  keep: boolean,
): { rerun: Entry[]; fullSeenAt: number[] } {
  lane.runs.delete(group);
  if (group !== lane.full) {
    for (const e of group.entries) lane.inFlight.delete(e.path);
    return { rerun: [], fullSeenAt: [] };
  }
  lane.full = null;
  const rerun = [...lane.rerun.values()];
  lane.rerun.clear();
  const carried = lane.fullSeen ?? new SeenTimes();
  lane.fullSeen = null;
  if (keep) {
    lane.seen.absorb(carried);
    return { rerun, fullSeenAt: [] };
  }
  return { rerun, fullSeenAt: carried.synced([{ path: ROOT, isDir: true }]) };
}

/** Updates the failure gate after a settle: `whole` = the run failed whole (nothing reached the remote). */
export function gate(
  lane: Lane,
  whole: boolean,
  now: number,
  delayMs: (streak: number) => number,
): void {
  if (!whole) {
    lane.failStreak = 0;
    lane.gateUntil = -Infinity;
    return;
  }
  // Runs that were already in flight when the gate closed fail for the same outage: one step.
  if (lane.failStreak > 0 && now < lane.gateUntil) return;
  lane.failStreak++;
  lane.gateUntil = now + delayMs(lane.failStreak);
}
