// Drives the merge queues: feeds changes into one PendingSet per target (root x remote), owns the
// only timer (an injected Clock), hands non-overlapping batches to the sync side, and requeues
// failures with exponential backoff. Shell (no fs/processes; time and runs are injected).
//
// Per target (k = runs in flight for it; the workers are shared by all targets, -n in total):
//
//   +-----------+  a change is ready and a worker is free: run it     +-------------+
//   | idle, k=0 | --------------------------------------------------> | running k>0 |
//   +-----------+ <-------------------------------------------------- +-------------+
//        ^         the last run settled (ok -> onSynced;                |   ^
//        |         partial/failed -> requeue with backoff)              |   | ready >= parallelMinReady,
//        |                                                              +---+ or the oldest ready entry
//   add()/timer: entries wait out their quiet window, then are ready         waited parallelAfterMs, or
//                                                                            (k=1) no change came for
//                                                                            parallelWhenQuietMs:
//                                                                            one more run (k+1)
//   Scheduler: open --close()--> closed (nothing new is dispatched; close() resolves when k=0 everywhere)
import { split } from './outcome.js';
import { PathTrie } from './path-trie.js';
import { PendingSet, type PendingChange } from './pending.js';
import { shard } from './shard.js';
import type { Batch, BatchOutcome, Change, Entry, Target } from './types.js';
import type { Clock } from '../util/clock.js';
import { unreachable } from '../util/unreachable.js';

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
  readonly onRetry?: (
    target: Target,
    entries: readonly Entry[],
    delayMs: number,
    reason: string,
  ) => void;
  /** Called with the entries that reached the target (the plugin hook). */
  readonly onSynced?: (target: Target, entries: readonly Entry[]) => void;
  /** Tuning knobs; every one has a default in SCHEDULER_POLICY. */
  readonly policy?: Partial<SchedulerPolicy>;
}

export interface SchedulerPolicy {
  /** A path that keeps changing is still synced this long after its first change. */
  readonly maxHoldMs: number;
  /** The quiet window after a close_write (the writer is done; at most quietMs). */
  readonly closedQuietMs: number;
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
}

/** Defaults, one line each. */
export const SCHEDULER_POLICY: SchedulerPolicy = Object.freeze({
  maxHoldMs: 1000, // a file written continuously still syncs about once a second
  closedQuietMs: 2, // a temp file's close, rename or unlink follow within microseconds; a lone write must not wait 20 ms
  maxBatchEntries: 2000, // files-from lists this long are cheap; keeps one run's retry unit bounded
  minShardEntries: 256, // 5,000 ready paths -> ~10-20 runs, not 5,000
  parallelMinReady: 512, // a running target starts another run beside it only for a real backlog
  parallelAfterMs: 250, // about two typical runs: longer means a big transfer is in flight
  parallelWhenQuietMs: 50, // a writer pausing this long is done for now (rm -rf d0 d1: d1 need not wait for d0)
});

interface Lane {
  readonly target: Target;
  readonly pending: PendingSet;
  /** Paths of this target's runs in flight (they never overlap). */
  readonly inFlight: PathTrie<Entry>;
  readonly runs: Set<Batch>;
  readonly isBusy: (path: string) => boolean;
  /** When the last change for this target arrived (-Infinity: never). */
  lastAddAt: number;
}

/**
 * Owns the pending sets and the dispatch policy. Guarantees: per target, no two runs in flight
 * overlap (same path, ancestor or descendant), so changes to one path reach the target in order;
 * a failed entry is requeued, never dropped. No guarantee is made about ordering across targets
 * or across unrelated paths, nor about fairness beyond "an idle target is served first".
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #policy: SchedulerPolicy;
  readonly #lanes: Lane[];
  readonly #byRoot = new Map<string, Lane[]>();
  #inFlight = 0;
  #closed = false;
  #timerAt = Infinity;
  #cancelTimer: (() => void) | null = null;
  #turn = 0;
  #waiters: { readonly when: 'idle' | 'drained'; readonly resolve: () => void }[] = [];

  constructor(opts: SchedulerOptions) {
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
      throw new RangeError(
        `Internal error: maxInFlight must be a positive integer, got ${opts.maxInFlight}`,
      );
    }
    this.#opts = opts;
    this.#policy = { ...SCHEDULER_POLICY, ...opts.policy };
    const pendingOpts = {
      quietMs: opts.quietMs,
      maxHoldMs: Math.max(this.#policy.maxHoldMs, opts.quietMs),
      closedQuietMs: this.#policy.closedQuietMs,
    };
    this.#lanes = opts.targets.map((target) => {
      const inFlight = new PathTrie<Entry>();
      const lane: Lane = {
        target,
        pending: new PendingSet(pendingOpts),
        inFlight,
        runs: new Set(),
        isBusy: (path) => inFlight.overlapsAny(path),
        lastAddAt: -Infinity,
      };
      const list = this.#byRoot.get(target.root) ?? [];
      list.push(lane);
      this.#byRoot.set(target.root, list);
      return lane;
    });
  }

  /** Queues `change` for every target of `change.root`. Accepted after close() (kept for snapshot()). */
  add(change: Change): void {
    this.#fanOut(change.root, change);
  }

  /** Requests a full sync of `root` (overflow, -r): an entry with path '' that absorbs everything queued. */
  addFull(root: string): void {
    this.#fanOut(root, { path: '', op: 'upsert', isDir: true });
  }

  /** Queued entries over all targets (a path queued for two remotes counts twice). */
  pendingCount(): number {
    return this.#lanes.reduce((n, l) => n + l.pending.size, 0);
  }

  /** Runs in flight over all targets. */
  inFlightCount(): number {
    return this.#inFlight;
  }

  /** Resolves when nothing is pending nor in flight (entries waiting for a retry count as pending). */
  idle(): Promise<void> {
    return this.#wait('idle');
  }

  /** Stops dispatching; resolves when the runs in flight have settled. Pending entries stay (snapshot()). */
  close(): Promise<void> {
    this.#closed = true;
    this.#disarm();
    return this.#wait('drained');
  }

  /** Pending plus in-flight entries per target (for persistence). */
  snapshot(): { target: Target; entries: Entry[] }[] {
    return this.#lanes.map((l) => ({
      target: l.target,
      entries: [...l.pending.entries(), ...[...l.runs].flatMap((b) => b.entries)],
    }));
  }

  #fanOut(root: string, change: PendingChange): void {
    const lanes = this.#byRoot.get(root);
    if (lanes === undefined)
      throw new Error(`Internal error: change for unknown root ${JSON.stringify(root)}`);
    const now = this.#opts.clock.now();
    for (const lane of lanes) {
      lane.pending.add(change, now, lane.isBusy);
      lane.lastAddAt = now;
      const at = lane.pending.nextReadyAt();
      if (at !== null) this.#arm(at);
    }
  }

  /** One scheduling pass: dispatch what the policy allows, then arm the timer for the next reason to wake. */
  #pump(): void {
    if (!this.#closed) {
      const now = this.#opts.clock.now();
      const start = this.#turn++ % Math.max(1, this.#lanes.length);
      const rotated = [...this.#lanes.slice(start), ...this.#lanes.slice(0, start)];
      // Idle targets first, so one target's burst cannot starve another's lone change.
      const wanting = [
        ...rotated.filter((l) => l.runs.size === 0),
        ...rotated.filter((l) => l.runs.size > 0),
      ].filter((l) => this.#wantsRun(l, now));
      wanting.forEach((lane, i) => {
        const free = this.#opts.maxInFlight - this.#inFlight;
        // An idle target may spread a burst over its share of the free workers; a running one
        // adds one run per pass (its threshold grows with every run it has in flight).
        const share = lane.runs.size === 0 ? Math.ceil(free / (wanting.length - i)) : 1;
        if (free > 0) this.#dispatch(lane, now, share);
      });
      this.#disarm();
      let wake = Infinity;
      for (const lane of this.#lanes) wake = Math.min(wake, this.#wakeAt(lane, now));
      if (wake < Infinity) this.#arm(wake);
    }
    this.#notify();
  }

  /** Whether `lane` should start a run now (if a worker is free). */
  #wantsRun(lane: Lane, now: number): boolean {
    const ready = lane.pending.readyCount(now);
    if (ready === 0) return false;
    const mode = lane.runs.size === 0 ? 'idle' : 'running';
    switch (mode) {
      case 'idle':
        return true; // a lone ready change goes at once: one run costs the same whatever it carries
      case 'running': {
        // k runs in flight: the (k+1)-th needs k * parallelMinReady ready entries, so a long burst
        // grows fewer, bigger runs instead of one small run every few ms.
        if (ready >= this.#policy.parallelMinReady * lane.runs.size) return true;
        if (lane.runs.size < 2 && now - lane.lastAddAt >= this.#policy.parallelWhenQuietMs)
          return true;
        const oldest = lane.pending.oldestReadyAt(now);
        return oldest !== null && now - oldest >= this.#policy.parallelAfterMs;
      }
      default:
        return unreachable(mode);
    }
  }

  /** When `lane` next needs a pass (Infinity: only a settling run can change anything). */
  #wakeAt(lane: Lane, now: number): number {
    // No worker free: a run is in flight, and its settling pumps again.
    if (this.#inFlight >= this.#opts.maxInFlight) return Infinity;
    let at = lane.pending.nextReadyAt() ?? Infinity;
    if (lane.runs.size > 0) {
      const oldest = lane.pending.oldestReadyAt(now);
      if (oldest !== null) at = Math.min(at, Math.max(now, oldest + this.#policy.parallelAfterMs));
      if (oldest !== null && lane.runs.size < 2)
        at = Math.min(at, Math.max(now, lane.lastAddAt + this.#policy.parallelWhenQuietMs));
    }
    return at;
  }

  #dispatch(lane: Lane, now: number, shards: number): void {
    const { maxBatchEntries: maxEntries, minShardEntries: minEntries } = this.#policy;
    const max = Math.min(lane.pending.readyCount(now), shards * maxEntries);
    const entries = lane.pending.takeReady(now, lane.isBusy, max);
    for (const batch of shard(lane.target, entries, { shards, maxEntries, minEntries }))
      this.#start(lane, batch);
  }

  #start(lane: Lane, batch: Batch): void {
    for (const e of batch.entries) lane.inFlight.set(e.path, e);
    lane.runs.add(batch);
    this.#inFlight++;
    let run: Promise<BatchOutcome>;
    try {
      run = this.#opts.runBatch(batch);
    } catch (e) {
      run = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    // A rejection is a bug on the sync side (or a dead worker): retry the entries rather than lose them.
    void run.then(
      (outcome) => {
        this.#settle(lane, batch, outcome);
      },
      (e: unknown) => {
        this.#settle(lane, batch, {
          kind: 'failed',
          reason: `runBatch rejected: ${e instanceof Error ? e.message : String(e)}`,
        });
      },
    );
  }

  #settle(lane: Lane, batch: Batch, outcome: BatchOutcome): void {
    lane.runs.delete(batch);
    this.#inFlight--;
    for (const e of batch.entries) lane.inFlight.delete(e.path);
    const { synced, failed, reason } = split(batch.entries, outcome);
    const now = this.#opts.clock.now();
    const groups = new Map<number, Entry[]>();
    for (const e of failed) {
      const delay = this.#backoffMs(e.attempts + 1);
      lane.pending.requeue(e, now + delay, lane.isBusy);
      groups.set(delay, [...(groups.get(delay) ?? []), e]);
    }
    lane.pending.released(lane.isBusy);
    this.#pump();
    if (synced.length > 0) this.#opts.onSynced?.(lane.target, synced);
    for (const [delay, entries] of groups)
      this.#opts.onRetry?.(lane.target, entries, delay, reason);
  }

  #backoffMs(attempts: number): number {
    const { initialMs, capMs } = this.#opts.backoff;
    return Math.min(capMs, initialMs * 2 ** Math.min(attempts - 1, 52));
  }

  #arm(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    this.#disarm();
    this.#timerAt = at;
    this.#cancelTimer = this.#opts.clock.setTimeout(
      () => {
        this.#timerAt = Infinity;
        this.#cancelTimer = null;
        this.#pump();
      },
      Math.max(0, at - this.#opts.clock.now()),
    );
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#timerAt = Infinity;
  }

  #wait(when: 'idle' | 'drained'): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ when, resolve });
      this.#notify();
    });
  }

  #notify(): void {
    const drained = this.#inFlight === 0;
    const idle = drained && this.pendingCount() === 0;
    const due = this.#waiters.filter((w) => (w.when === 'idle' ? idle : drained));
    if (due.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}
