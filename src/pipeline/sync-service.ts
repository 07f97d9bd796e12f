// The sync service: turns a Batch into rsync runs and reports each run's facts. It owns the worker
// pool, the batch runner, the fail log and the `-r` progress board. Shell.
//
//   batch {kind:'paths'} ──▶ runner(batch) ───────────────────────────┐
//   batch {kind:'full'}  ──▶ runner.runFullSync (+progress the first time, `-r`) ┴▶ outcome ──▶ onRun
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { stageStamps, type EventStamps } from '../queue/stage-stamps.js';
import type { Batch, BatchOutcome, PathBatch, RunStamps, Target } from '../queue/types.js';
import { createFailLogFile, type FailLogFile } from '../retry/fail-log-file.js';
import { replayArgv } from '../sync/argv.js';
import { createPool, type PoolOptions } from '../sync/pool.js';
import { createProgressBoard } from '../sync/progress.js';
import { createBatchRunner } from '../sync/runner.js';
import { displayName } from '../util/byte-names.js';
import { createSshMasters } from '../sync/ssh-master.js';
import type { Clock } from '../util/clock.js';
import type { SyncTargets } from './targets.js';

export interface SyncServiceOptions {
  readonly config: Config;
  readonly targets: SyncTargets;
  readonly threads: number;
  /** How long an idle worker thread lives (default: the pool's IDLE_THREAD_MS). */
  readonly poolIdleMs?: number;
  readonly rsyncPath: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Show progress of the first full sync of each target (`-r`). */
  readonly showFirstFullProgress: boolean;
  /** Each batch's outcome, with the run's facts, once it settled. */
  readonly onRun?: (target: Target, outcome: BatchOutcome) => void;
  /** The `--max-delete` limit of a full sync of `target` (the root guard's share), if any. */
  readonly maxDeleteFor?: (target: Target) => number | undefined;
}

export interface SyncService {
  /** Runs one batch; never rejects for an rsync failure (the outcome says it). */
  readonly runBatch: (batch: Batch) => Promise<BatchOutcome>;
  /** What the fail log holds (the timeToExecute re-run reads it; inherited entries are requeued at start). */
  readonly failLog: Pick<FailLogFile, 'outstanding' | 'inherited'>;
  /** Waits for the running rsync (`force`: kills them), then closes ssh's shared connections. */
  closePool(force: boolean): Promise<void>;
  /** Writes the fail log's last state. */
  flush(): Promise<void>;
}

/** The pool's options from the service's. */
function poolOptions(o: SyncServiceOptions): PoolOptions {
  const idle = o.poolIdleMs === undefined ? {} : { idleTimeoutMs: o.poolIdleMs };
  return { threads: o.threads, clock: o.clock, ...idle };
}

export function createSyncService(o: SyncServiceOptions): SyncService {
  const { config, targets, logger, rsyncPath } = o;
  const pool = createPool(poolOptions(o));
  // Per-run stage timings at debug level (the bench's --logs summarises them).
  stageStamps.enable(logger.level === 'debug');
  const failLog = createFailLogFile({
    path: config.sersync.failLog.path,
    // The fail log renders the command that re-does the paths (the runner's argv for them).
    commandFor: (target, paths) => ({
      cwd: target.root,
      argv: [rsyncPath, ...replayArgv(targets.prepared(target), paths)],
    }),
    onError: (e) => {
      logger.error(`cannot write the fail log ${config.sersync.failLog.path}: ${e.message}`);
    },
    onWarning: (m) => {
      logger.warn(m);
    },
  });
  // ssh mode: runs share one connection per login; the fail log's replay keeps plain `-e ssh`.
  const masters = createSshMasters({ config, logger });
  const run = createBatchRunner({
    config,
    pool,
    logger,
    failLog,
    rsyncPath,
    prepare: (root, remoteIndex) => masters.forRun(targets.prepared({ root, remoteIndex })),
  });
  const crontabExcludes = config.sersync.crontab.filterEnabled
    ? config.sersync.crontab.excludes
    : [];
  const board = o.showFirstFullProgress
    ? createProgressBoard({ logger, clock: o.clock })
    : undefined;
  const firstFull = new Set(targets.all.map((t) => t.key));

  const fullSync = async (target: Target): Promise<BatchOutcome> => {
    const sink =
      board !== undefined && firstFull.delete(target.key)
        ? board.start(target.root, targets.label(target))
        : undefined;
    const maxDelete = o.maxDeleteFor?.(target);
    try {
      return await run.runFullSync(target.root, target.remoteIndex, {
        crontabExcludes,
        ...(maxDelete === undefined ? {} : { maxDelete }),
        ...(sink ? { onProgress: sink.update } : {}),
      });
    } finally {
      sink?.finish();
    }
  };

  return {
    async runBatch(batch) {
      if (batch.kind === 'full') {
        const outcome = await fullSync(batch.target);
        o.onRun?.(batch.target, outcome);
        return outcome;
      }
      const dispatchedAt = o.clock.now();
      const events = stageStamps.take(
        batch.target.root,
        batch.entries.map((e) => e.path),
      );
      const outcome = await run(batch);
      if (events !== undefined && outcome.run?.stamps !== undefined)
        logger.debug(stageLine(batch, events, dispatchedAt, outcome.run.stamps, o.clock.now()));
      o.onRun?.(batch.target, outcome);
      return outcome;
    },
    failLog,
    closePool: (force) => pool.close({ force }).finally(() => masters.close()),
    flush: () => failLog.flush(),
  };
}

/**
 * `stages: PATH (N paths): event at EPOCH_MS, first +x, dispatched +x, worker +x, spawn +x,
 * spawned +x, closed +x, settled +x ms`: each stage in ms after the last change of the batch's
 * paths reached the queue (first: the first change, negative or 0). Pure.
 */
export function stageLine(
  batch: PathBatch,
  ev: EventStamps,
  dispatchedAt: number,
  s: RunStamps,
  settledAt: number,
): string {
  const rel = (at: number): string =>
    `${at - ev.lastAt >= 0 ? '+' : ''}${(at - ev.lastAt).toFixed(2)}`;
  const first = batch.entries[0]?.path ?? '';
  return (
    `stages: ${displayName(first)} (${batch.entries.length} paths): event at ${ev.lastAt.toFixed(3)}, ` +
    `first ${rel(ev.firstAt)}, dispatched ${rel(dispatchedAt)}, worker ${rel(s.taskAt)}, ` +
    `spawn ${rel(s.spawnAt)}, spawned ${rel(s.spawnedAt)}, closed ${rel(s.closedAt)}, ` +
    `settled ${rel(settledAt)} ms`
  );
}
