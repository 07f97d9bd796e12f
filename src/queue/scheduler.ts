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
import { gate, newLane, pathRuns, ROOT, settled, started, type Lane } from './lane.js';
import { split, splitFull } from './outcome.js';
import type { PendingChange } from './pending.js';
import { SCHEDULER_POLICY, type SchedulerPolicy, wakeAt, wantsRun } from './policy.js';
import { shard } from './shard.js';
import { stageStamps } from './stage-stamps.js';
import { WakeTimer } from './wake-timer.js';
import type { SchedulerOptions } from './scheduler-options.js';
import type { Batch, BatchOutcome, Change, Entry, EntryGroup, Target } from './types.js';

export type { SchedulerOptions } from './scheduler-options.js';
export { SCHEDULER_POLICY, type SchedulerPolicy };

/**
 * Owns the pending sets and the dispatch policy. Guarantees: per target, no two PATH runs in flight
 * overlap (same path, ancestor or descendant), so changes to one path reach the target in order;
 * a full sync starts only when nothing is in flight, path runs go beside it, and what they carried
 * runs again after it (lane.ts); a failed entry is requeued, never dropped; a target whose runs
 * fail whole sends one run at a time, after a back-off of its own (policy.ts). No guarantee is made about ordering across targets
 * or across unrelated paths, nor about fairness beyond "an idle target is served first".
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #policy: SchedulerPolicy;
  readonly #lanes: Lane[];
  readonly #byRoot = new Map<string, Lane[]>();
  #closed = false;
  readonly #timer: WakeTimer;
  #turn = 0;
  #waiters: { readonly when: 'idle' | 'drained'; readonly resolve: () => void }[] = [];

  constructor(opts: SchedulerOptions) {
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
      throw new RangeError(
        `Internal error: maxInFlight must be a positive integer, got ${opts.maxInFlight}`,
      );
    }
    this.#opts = opts;
    this.#timer = new WakeTimer(opts.clock, () => {
      this.#pump();
    });
    this.#policy = { ...SCHEDULER_POLICY, ...opts.policy };
    const pendingOpts = {
      quietMs: opts.quietMs,
      maxHoldMs: Math.max(this.#policy.maxHoldMs, opts.quietMs),
      closedQuietMs: this.#policy.closedQuietMs,
      loneClosedQuietMs: this.#policy.loneClosedQuietMs,
    };
    this.#lanes = opts.targets.map((target) => {
      const lane = newLane(target, pendingOpts);
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

  /** Requests a full sync of `root` (overflow, -r): one `full` batch that absorbs everything queued. */
  addFull(root: string): void {
    this.#fanOut(root, { path: ROOT, op: 'upsert', isDir: true });
  }

  /** Queued entries over all targets (a path queued for two remotes counts twice). */
  pendingCount(): number {
    return this.#lanes.reduce((n, l) => n + l.pending.size, 0);
  }

  /** Runs in flight over all targets. */
  inFlightCount(): number {
    return this.#lanes.reduce((n, l) => n + l.runs.size, 0);
  }

  /** Resolves when nothing is pending nor in flight (entries waiting for a retry count as pending). */
  idle(): Promise<void> {
    return this.#wait('idle');
  }

  /** Stops dispatching; resolves when the runs in flight have settled. Pending entries stay (snapshot()). */
  close(): Promise<void> {
    this.#closed = true;
    this.#timer.disarm();
    return this.#wait('drained');
  }

  /** Pending plus in-flight entries per target (a full sync shows as the root path ''). */
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
    stageStamps.event(root, change.path, now);
    for (const lane of lanes) {
      if (change.path === ROOT && lane.full !== null) {
        lane.fullAgain = true; // queued when the running one settles; realtime keeps flowing
        continue;
      }
      if (change.path !== ROOT) lane.seen.saw(change.path, now);
      // Beside a full sync nothing is born: it may be copying the path right now.
      const c =
        lane.full !== null && change.created === true ? { ...change, created: false } : change;
      lane.pending.add(c, now, lane.isBusy);
      lane.lastAddAt = now;
      const at = lane.pending.nextReadyAt();
      if (at !== null && !this.#closed) this.#timer.arm(at, true);
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
        ...rotated.filter((l) => pathRuns(l) === 0),
        ...rotated.filter((l) => pathRuns(l) > 0),
      ].filter((l) => wantsRun(l, pathRuns(l), now, this.#policy));
      let inFlight = this.inFlightCount();
      wanting.forEach((lane, i) => {
        const free = this.#opts.maxInFlight - inFlight;
        // An idle target may spread a burst over its share of the free workers; a running one
        // adds one run per pass (its threshold grows with every run it has in flight).
        // A failing target sends one probe run at a time (policy.ts).
        const share = this.#share(lane, Math.ceil(free / (wanting.length - i)));
        if (free > 0) inFlight += this.#dispatch(lane, now, share);
      });
      this.#timer.disarm();
      let wake = Infinity;
      // No worker free: a run is in flight, and its settling pumps again.
      if (inFlight < this.#opts.maxInFlight)
        for (const lane of this.#lanes)
          wake = Math.min(wake, wakeAt(lane, pathRuns(lane), now, this.#policy));
      if (wake < Infinity) this.#timer.arm(wake);
    }
    this.#notify();
  }

  /**
   * How many runs `lane` may start in this pass (`fair`: its share of the free workers): an idle
   * target spreads a burst over its share, but over at most maxSpread runs (policy.ts); a running
   * one adds one run (its threshold grows with every run in flight); a failing one sends one probe.
   */
  #share(lane: Lane, fair: number): number {
    if (lane.failStreak > 0 || pathRuns(lane) > 0) return 1;
    return Math.max(1, Math.min(fair, this.#policy.maxSpread));
  }

  /** Starts the runs `lane` may have now; returns how many. */
  #dispatch(lane: Lane, now: number, shards: number): number {
    const { maxBatchEntries: maxEntries, minShardEntries: minEntries } = this.#policy;
    const max = Math.min(lane.pending.readyCount(now), shards * maxEntries);
    const entries = lane.pending.takeReady(now, lane.isBusy, max);
    const groups = shard(lane.target, entries, { shards, maxEntries, minEntries });
    for (const group of groups) this.#start(lane, group);
    return groups.length;
  }

  #start(lane: Lane, group: EntryGroup): void {
    // The root entry overlaps everything, so it always leaves alone (pending.ts, shard.ts).
    const root = group.entries.find((e) => e.path === ROOT);
    started(lane, group, root !== undefined);
    const batch: Batch =
      root === undefined
        ? { kind: 'paths', target: group.target, entries: group.entries }
        : { kind: 'full', target: group.target, attempts: root.attempts };
    let run: Promise<BatchOutcome>;
    try {
      run = this.#opts.runBatch(batch);
    } catch (e) {
      run = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    // A rejection is a bug on the sync side (or a dead worker): retry the entries rather than lose them.
    void run.then(
      (outcome) => {
        this.#settle(lane, group, outcome);
      },
      (e: unknown) => {
        this.#settle(lane, group, {
          kind: 'failed',
          reason: `runBatch rejected: ${e instanceof Error ? e.message : String(e)}`,
        });
      },
    );
  }

  #settle(lane: Lane, group: EntryGroup, outcome: BatchOutcome): void {
    const isFull = group === lane.full;
    const { synced, failed, reason } = isFull
      ? splitFull(group.entries, outcome)
      : split(group.entries, outcome);
    const now = this.#opts.clock.now();
    const { rerun, fullSeenAt } = settled(
      lane,
      group,
      failed.some((e) => e.path === ROOT),
    );
    gate(lane, synced.length === 0 && outcome.kind !== 'partial', now, (n) => this.#backoffMs(n));
    const groups = new Map<number, Entry[]>();
    for (const e of failed) {
      const delay = this.#backoffMs(e.attempts + 1);
      lane.pending.requeue(e, now + delay, lane.isBusy);
      const same = groups.get(delay);
      if (same === undefined) groups.set(delay, [e]);
      else same.push(e);
    }
    // Paths sent beside the full sync run again after it: its file list may predate them.
    for (const e of rerun)
      lane.pending.add({ path: e.path, op: e.op, isDir: e.isDir }, now, lane.isBusy);
    if (isFull && lane.fullAgain) {
      lane.fullAgain = false;
      lane.pending.add({ path: ROOT, op: 'upsert', isDir: true }, now, lane.isBusy);
    }
    lane.pending.released(lane.isBusy);
    const seenAt = isFull ? fullSeenAt : lane.seen.synced(synced);
    if (lane.pending.size === 0 && lane.runs.size === 0) lane.seen.clear();
    this.#pump();
    if (isFull && synced.length > 0) {
      // What is still queued arrived while it ran: it stays outstanding (the journal keeps it).
      const kept = lane.pending.entries().filter((e) => e.path !== ROOT);
      this.#opts.onFullSynced?.(lane.target, seenAt, kept);
    } else if (synced.length > 0) {
      // Changed again while in flight (queued, held): the journal's 'done' must not drop them.
      const kept = synced.flatMap((e) => lane.pending.queuedWithin(e.path, e.isDir));
      this.#opts.onSynced?.(lane.target, synced, seenAt, kept);
    }
    for (const [delay, entries] of groups) {
      const retryFull = entries.some((e) => e.path === ROOT);
      const listed = retryFull ? entries.filter((e) => e.path !== ROOT) : entries;
      this.#opts.onRetry?.(lane.target, listed, delay, reason, retryFull);
    }
  }

  #backoffMs(attempts: number): number {
    const { initialMs, capMs } = this.#opts.backoff;
    return Math.min(capMs, initialMs * 2 ** Math.min(attempts - 1, 52));
  }

  #wait(when: 'idle' | 'drained'): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ when, resolve });
      this.#notify();
    });
  }

  #notify(): void {
    const drained = this.inFlightCount() === 0;
    const idle = drained && this.pendingCount() === 0;
    const due = this.#waiters.filter((w) => (w.when === 'idle' ? idle : drained));
    if (due.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}
