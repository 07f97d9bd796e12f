// The scheduler's dispatch policy: its tuning knobs, their defaults (one line each), and the two
// decisions it takes per target: start one more run now? when to look again? Pure.
import type { PendingSet } from './pending.js';
import { unreachable } from '../util/unreachable.js';

export interface SchedulerPolicy {
  /** A path that keeps changing is still synced this long after its first change. */
  readonly maxHoldMs: number;
  /** The quiet window after a close_write (the writer is done; at most quietMs). */
  readonly closedQuietMs: number;
  /** The same when that path is the only one queued for its target (a lone change). */
  readonly loneClosedQuietMs: number;
  /** At most this many entries in one rsync run. */
  readonly maxBatchEntries: number;
  /** Batches are not split below this size to use more workers (one run costs ~110-150 ms). */
  readonly minShardEntries: number;
  /** While a target has k runs in flight, k times this many ready entries justify one more parallel run... */
  readonly parallelMinReady: number;
  /** ...and so does a ready entry that has waited this long (a huge transfer must not hold back small ones)... */
  readonly parallelAfterMs: number;
  /**
   * ...and so does a target that received no change for this long, while it has fewer than two runs
   * in flight: the burst is over, so waiting for the running run would gather nothing more.
   */
  readonly parallelWhenQuietMs: number;
  /**
   * An idle target spreads the entries of one pass over at most this many runs, however many
   * workers are free (the shell sets the machine's cores: each run is an rsync client plus a
   * receiver, and more runs than cores only make every run slower). -n still caps the total.
   */
  readonly maxSpread: number;
}

/** Defaults, one line each. */
export const SCHEDULER_POLICY: SchedulerPolicy = Object.freeze({
  maxHoldMs: 1000, // a file written continuously still syncs about once a second
  closedQuietMs: 2, // a temp file's close, rename or unlink follow within microseconds; a lone write must not wait 20 ms
  loneClosedQuietMs: 0, // a lone close_write goes after the events read with it (its rename, unlink), not 2 ms later
  maxBatchEntries: 2000, // files-from lists this long are cheap; keeps one run's retry unit bounded
  minShardEntries: 256, // 5,000 ready paths -> ~10-20 runs, not 5,000
  parallelMinReady: 512, // a running target starts another run beside it only for a real backlog
  parallelAfterMs: 250, // about two typical runs: longer means a big transfer is in flight
  parallelWhenQuietMs: 50, // a writer pausing this long is done for now (rm -rf d0 d1: d1 need not wait for d0)
  maxSpread: Infinity, // the pure default: -n alone decides (durable-queue.ts passes the cores)
});

/** What the policy reads of one target. */
export interface LaneView {
  readonly pending: Pick<PendingSet, 'readyCount' | 'oldestReadyAt' | 'nextReadyAt'>;
  /** When the last change for this target arrived (-Infinity: never). */
  readonly lastAddAt: number;
  /** Every run in flight, a full sync included. */
  readonly runs: { readonly size: number };
  /** Runs in a row that failed whole (0: the last one reached the remote). */
  readonly failStreak: number;
  /** While failStreak > 0: the earliest start of the next run (the target's own back-off). */
  readonly gateUntil: number;
}

/**
 * A target whose runs fail whole (its remote is down): nothing starts before its back-off ends,
 * then one run (a probe) while nothing else is in flight. So an outage costs one failing run per
 * back-off step, not one per batch of the backlog; the first run that reaches the remote reopens it.
 */
function gated(lane: LaneView, now: number): boolean {
  return lane.failStreak > 0 && (lane.runs.size > 0 || now < lane.gateUntil);
}

/** Whether a target with `runs` path runs in flight should start one more now (if a worker is free). */
export function wantsRun(
  lane: LaneView,
  runs: number,
  now: number,
  policy: SchedulerPolicy,
): boolean {
  const ready = lane.pending.readyCount(now);
  if (ready === 0 || gated(lane, now)) return false;
  if (lane.failStreak > 0) return true; // the probe
  const mode = runs === 0 ? 'idle' : 'running';
  switch (mode) {
    case 'idle':
      return true; // a lone ready change goes at once: one run costs the same whatever it carries
    case 'running': {
      // k runs in flight: the (k+1)-th needs k * parallelMinReady ready entries, so a long burst
      // grows fewer, bigger runs instead of one small run every few ms.
      if (ready >= policy.parallelMinReady * runs) return true;
      if (runs < 2 && now - lane.lastAddAt >= policy.parallelWhenQuietMs) return true;
      const oldest = lane.pending.oldestReadyAt(now);
      return oldest !== null && now - oldest >= policy.parallelAfterMs;
    }
    default:
      return unreachable(mode);
  }
}

/** When a target next needs a scheduling pass (Infinity: only a settling run can change anything). */
export function wakeAt(lane: LaneView, runs: number, now: number, policy: SchedulerPolicy): number {
  if (lane.failStreak > 0) {
    if (lane.runs.size > 0) return Infinity; // its settling pumps again
    const next = lane.pending.readyCount(now) > 0 ? now : (lane.pending.nextReadyAt() ?? Infinity);
    return next === Infinity ? Infinity : Math.max(next, lane.gateUntil);
  }
  let at = lane.pending.nextReadyAt() ?? Infinity;
  if (runs > 0) {
    const oldest = lane.pending.oldestReadyAt(now);
    if (oldest !== null) at = Math.min(at, Math.max(now, oldest + policy.parallelAfterMs));
    if (oldest !== null && runs < 2)
      at = Math.min(at, Math.max(now, lane.lastAddAt + policy.parallelWhenQuietMs));
  }
  return at;
}
