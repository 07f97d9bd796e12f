// The durable queue: the scheduler (merge queues, dispatch, retries) plus the journal that keeps
// every queued change on disk until it reached its targets (docs/reliability.md). Shell.
//
//   add(change) ──journal 'pending' per target──▶ scheduler.add ──▶ runBatch(batch) ──▶ outcome
//   synced entries ──journal 'done' (a directory or the whole root: its subtree)──▶ onSynced
//   open: replay what the last run journalled and never synced (a crash, a kill -9, a stop mid-burst)
import { availableParallelism } from 'node:os';
import type { Logger } from '../log.js';
import { Scheduler, type SchedulerOptions } from '../queue/scheduler.js';
import type { Change, Entry } from '../queue/types.js';
import { openJournal, type Journal, type JournalRecord } from '../retry/journal.js';
import { displayName } from '../util/byte-names.js';
import type { Clock } from '../util/clock.js';
import { err, ok, type Result } from '../util/result.js';
import type { SyncTargets } from './targets.js';

/** The journal's path for the whole root (journal-codec.ts: '' = the root). Only this file maps it. */
const JOURNAL_ROOT = '';

export interface DurableQueueOptions extends Pick<
  SchedulerOptions,
  'runBatch' | 'maxInFlight' | 'quietMs' | 'backoff' | 'onRetry' | 'onSynced' | 'onFullSynced'
> {
  readonly stateDir: string;
  readonly targets: SyncTargets;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface DurableQueue {
  /** Journals `change` for every target of its root, then queues it. */
  readonly add: (change: Change) => void;
  /** Queues a full sync of `root` (not journalled: a restart catches up with a full sync anyway). */
  readonly addFull: (root: string) => void;
  /** Requeues what the previous run left unsynced (only under `root` when given); returns how many changes. */
  replay(root?: string): number;
  /** The roots the previous run left something unsynced under. */
  leftoverRoots(): Set<string>;
  pendingCount(): number;
  inFlightCount(): number;
  /** Stops dispatching; resolves when the runs in flight settled. */
  drain(): Promise<void>;
  /** Pending plus in-flight entries (a full sync counts as one). */
  left(): number;
  /** Writes what the journal still holds and closes it. */
  close(): Promise<void>;
}

export async function openDurableQueue(
  o: DurableQueueOptions,
): Promise<Result<DurableQueue, { kind: 'state-dir'; message: string }>> {
  const opened = await openJournal(o.stateDir, {
    clock: o.clock,
    onError: (e) => {
      o.logger.error(`journal in ${displayName(o.stateDir)}: ${e.message}`);
    },
  });
  if (!opened.ok) return err(opened.error);
  const journal: Journal = opened.value;
  const done = (targetKey: string, path: string, subtree: boolean): JournalRecord => ({
    kind: 'done',
    targetKey,
    path,
    subtree,
  });
  const pending = (targetKey: string, e: Change | Entry): JournalRecord => ({
    kind: 'pending',
    targetKey,
    path: e.path,
    op: e.op,
    isDir: e.isDir,
  });
  const scheduler = new Scheduler({
    targets: o.targets.all,
    clock: o.clock,
    runBatch: o.runBatch,
    maxInFlight: o.maxInFlight,
    quietMs: o.quietMs,
    backoff: o.backoff,
    // One target's burst goes over at most as many runs at once as there are cores (policy.ts).
    policy: { maxSpread: availableParallelism() },
    ...(o.onRetry ? { onRetry: o.onRetry } : {}),
    onSynced: (target, entries, seenAt, kept) => {
      // A synced directory covers what was queued below it, except what changed again while it
      // ran (queued meanwhile: it stays pending).
      journal.append([
        ...entries.map((e) => done(target.key, e.path, e.isDir)),
        ...kept.map((e) => pending(target.key, e)),
      ]);
      o.onSynced?.(target, entries, seenAt, kept);
    },
    onFullSynced: (target, seenAt, kept) => {
      // The whole root is done, except what changed while the full sync ran (it stays pending).
      journal.append([
        done(target.key, JOURNAL_ROOT, true),
        ...kept.map((e) => pending(target.key, e)),
      ]);
      o.onFullSynced?.(target, seenAt, kept);
    },
  });
  const add = (change: Change): void => {
    journal.append(o.targets.ofRoot(change.root).map((t) => pending(t.key, change)));
    scheduler.add(change);
  };
  return ok({
    add,
    addFull: (root) => {
      scheduler.addFull(root);
    },
    replay: (root) => replay(journal, o.targets, scheduler, done, root),
    leftoverRoots: () => {
      const roots = new Set<string>();
      for (const [key, paths] of journal.outstanding()) {
        const t = o.targets.byKey(key);
        if (t !== undefined && paths.length > 0) roots.add(t.root);
      }
      return roots;
    },
    pendingCount: () => scheduler.pendingCount(),
    inFlightCount: () => scheduler.inFlightCount(),
    drain: () => scheduler.close(),
    left: () => scheduler.snapshot().reduce((n, s) => n + s.entries.length, 0),
    close: () => journal.close(),
  });
}

function replay(
  journal: Journal,
  targets: SyncTargets,
  scheduler: Scheduler,
  done: (targetKey: string, path: string, subtree: boolean) => JournalRecord,
  root: string | undefined,
): number {
  let count = 0;
  for (const [key, paths] of journal.outstanding()) {
    const target = targets.byKey(key);
    if (!target) {
      // A root or remote that left the config: nothing to sync it to any more.
      journal.append([done(key, JOURNAL_ROOT, true)]);
      continue;
    }
    if (root !== undefined && target.root !== root) continue;
    for (const p of paths) {
      if (p.path === JOURNAL_ROOT) scheduler.addFull(target.root);
      else scheduler.add({ root: target.root, path: p.path, op: p.op, isDir: p.isDir });
      count++;
    }
  }
  return count;
}
