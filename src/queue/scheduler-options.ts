// What the daemon gives the scheduler: its targets, clock, the run callback, the limits and the
// report hooks. Pure types.
import type { SchedulerPolicy } from './policy.js';
import type { Batch, BatchOutcome, Entry, Target } from './types.js';
import type { Clock } from '../util/clock.js';

/** The daemon's view of the scheduler (see the class). */
export interface SchedulerOptions {
  /** Every root x remote. */
  readonly targets: readonly Target[];
  readonly clock: Clock;
  /** Runs one batch; resolves with the outcome (never rejects for rsync failures). */
  readonly runBatch: (batch: Batch) => Promise<BatchOutcome>;
  /** -n: total concurrent runs across all targets. */
  readonly maxInFlight: number;
  /** config.daemon.quietMs: a path is ready this long after its last change. */
  readonly quietMs: number;
  /** Retry delay: initialMs * 2^(attempts-1), capped at capMs. */
  readonly backoff: { readonly initialMs: number; readonly capMs: number };
  /** Entries put back for a retry (`full`: the target's full sync, `entries` is then empty). */
  readonly onRetry?: (
    target: Target,
    entries: readonly Entry[],
    delayMs: number,
    reason: string,
    full: boolean,
  ) => void;
  /**
   * Called with the entries that reached the target (the plugin hook) and, for the latency
   * histogram, when each path they carried was first seen changing (clock ms). `kept`: entries
   * queued again meanwhile at those paths (or below a synced directory): still outstanding.
   */
  readonly onSynced?: (
    target: Target,
    entries: readonly Entry[],
    seenAt: readonly number[],
    kept: readonly Entry[],
  ) => void;
  /**
   * Called when a full sync of the target reached it, with the first-seen times of what it carried
   * and the entries still outstanding (`kept`: changes that arrived while it ran, queued or to be
   * run again; the journal must keep them although the whole root was synced).
   */
  readonly onFullSynced?: (
    target: Target,
    seenAt: readonly number[],
    kept: readonly Entry[],
  ) => void;
  /** Tuning knobs; every one has a default in SCHEDULER_POLICY. */
  readonly policy?: Partial<SchedulerPolicy>;
}
