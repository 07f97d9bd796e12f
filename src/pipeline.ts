// One running instance of the sync pipeline for one loaded Config: the composition of its parts
// and the order they stop in. The daemon builds a new one on SIGHUP. Shell.
//
//   watcher ─change─▶ durable queue (journal + scheduler) ─batch─▶ sync service (pool, runner,
//     │                  ▲                                 ◀─outcome (run facts)─┘  fail log)
//     └─rescan─▶ full-sync triggers (rate limit, crontab, fail-log re-run) ─addFull─┘
//   synced ─▶ journal 'done', plugin, metrics (latency);  outcome ─▶ metrics (runs, items, bytes)
//
//   start() --watches in place--> running --stop(drainMs)--> stopped
//             (journal replayed, -r / catch-up full syncs queued, timers armed)
import type { Config } from './config/types.js';
import type { Logger } from './log.js';
import type { Plugin } from './plugins/plugin.js';
import {
  openDurableQueue,
  type DurableQueue,
  type DurableQueueOptions,
} from './pipeline/durable-queue.js';
import { createFullSyncTriggers, type FullSyncTriggers } from './pipeline/full-sync-triggers.js';
import {
  createMetrics,
  notifyPlugin,
  startPlugin,
  startStatus,
  type Probed,
} from './pipeline/observe.js';
import type { StartFailure } from './pipeline/start-failure.js';
import { createSyncService, type SyncService } from './pipeline/sync-service.js';
import { buildTargets, type SyncTargets } from './pipeline/targets.js';
import type { DaemonMetrics } from './status/daemon-metrics.js';
import { systemClock, type Clock } from './util/clock.js';
import { err, ok, type Result } from './util/result.js';
import { startWatcher, type WatchHandlers } from './watch/create-watcher.js';
import type { Watcher } from './watch/fs-event.js';

export interface PipelineOptions {
  readonly threads: number;
  /** Push every root once after the watches are in place (`-r`, or the catch-up after downtime). */
  readonly fullSyncAtStart: 'rsync-first' | 'catch-up' | false;
  readonly rsyncPath: string;
  /** Test hook: SIGUSR2 injects a simulated IN_Q_OVERFLOW (env SERSYNC_TEST_HOOKS=1). */
  readonly testHooks: boolean;
  /** Overrides `<crontab schedule>` (env SERSYNC_CRONTAB_INTERVAL_MS, for tests). */
  readonly crontabIntervalMs?: number;
}

/** The parts a test may replace (the defaults are the real ones). */
export interface PipelineDeps {
  readonly clock?: Clock;
  readonly startWatcher?: typeof startWatcher;
  readonly createSyncService?: typeof createSyncService;
}

export interface Pipeline {
  readonly watcher: Watcher;
  /** What the status endpoint serves (also read by tests). */
  readonly metrics: DaemonMetrics;
  /**
   * Stops watching and lets running rsync finish for at most `drainMs`, or until `force` settles;
   * then kills what still runs. Returns whether it drained and how many changes were left pending.
   */
  stop(
    drainMs: number,
    force?: Promise<unknown>,
  ): Promise<{ drained: boolean; pendingLeft: number }>;
}

/** Builds and starts the pipeline; a root that cannot be watched or a bad state dir is a failure value. */
export async function startPipeline(
  config: Config,
  opts: PipelineOptions,
  logger: Logger,
  deps: PipelineDeps = {},
): Promise<Result<Pipeline, StartFailure>> {
  const clock = deps.clock ?? systemClock;
  const targets = buildTargets(config);
  for (const t of targets.all) logger.info(`sync ${t.root} -> ${targets.label(t)}`);
  const probed: Probed = {};
  const metrics = createMetrics(config, targets, clock, probed);
  const sync = (deps.createSyncService ?? createSyncService)({
    ...{ config, targets, clock, logger, threads: opts.threads, rsyncPath: opts.rsyncPath },
    showFirstFullProgress: opts.fullSyncAtStart === 'rsync-first',
    onRun: (t, o) => {
      metrics.recordRun(targets.ref(t), o, clock.now(), o.run ? { ...o.run } : {});
    },
  });
  const plugin = startPlugin(config, logger);
  const opened = await openDurableQueue({
    ...{ stateDir: config.sersync.failLog.stateDir, targets, clock, logger },
    ...{ runBatch: sync.runBatch, maxInFlight: opts.threads, quietMs: config.daemon.quietMs },
    backoff: { initialMs: 1000, capMs: config.sersync.failLog.retryCapMs },
    ...queueReports(targets, metrics, plugin, clock, logger),
  });
  if (!opened.ok) {
    await Promise.all([sync.closePool(true), plugin?.close()]);
    return err(opened.error);
  }
  const queue = (probed.queue = opened.value);
  const triggers = createFullSyncTriggers({
    ...{ config, targets, clock, logger, failLog: sync.failLog },
    ...{ add: queue.add, addFull: queue.addFull },
    ...(opts.crontabIntervalMs !== undefined ? { crontabIntervalMs: opts.crontabIntervalMs } : {}),
  });
  const started = await (deps.startWatcher ?? startWatcher)(
    config,
    targets.roots,
    watchHandlers(config, metrics, queue, triggers, logger),
    logger,
  );
  if (!started.ok) {
    await Promise.all([sync.closePool(true), plugin?.close(), queue.close().catch(logAs(logger))]);
    return err(started.error);
  }
  const watcher = (probed.watcher = started.value);
  metrics.setState('watching');
  const status = await startStatus(config, metrics, clock, logger);

  startFeeding(queue, triggers, sync.failLog, targets, opts.fullSyncAtStart, logger);
  const offTestHook = opts.testHooks ? overflowHook(watcher, logger) : () => undefined;

  return ok({
    watcher,
    metrics,
    async stop(drainMs, force) {
      offTestHook();
      triggers.cancel();
      metrics.setState('draining');
      await watcher.close();
      const drained = await drainWithin(queue.drain(), drainMs, clock, force);
      await sync.closePool(!drained);
      const pendingLeft = queue.left();
      await plugin?.close();
      await status?.close();
      await sync.flush().catch(logAs(logger, 'fail log'));
      await queue.close().catch(logAs(logger, 'journal'));
      return { drained, pendingLeft };
    },
  });
}

/** What the queue reports: retries (log line, metric) and synced entries (latency, plugin). */
function queueReports(
  targets: SyncTargets,
  metrics: DaemonMetrics,
  plugin: Plugin | undefined,
  clock: Clock,
  logger: Logger,
): Pick<DurableQueueOptions, 'onRetry' | 'onSynced' | 'onFullSynced'> {
  return {
    onRetry: (target, entries, delayMs, reason, full) => {
      const what = full ? 'the full sync' : `${entries.length} path(s)`;
      logger.warn(
        `retry in ${(delayMs / 1000).toFixed(1)} s: ${what} for ${targets.label(target)} (${reason})`,
      );
      metrics.recordRetry(targets.ref(target), entries.length + (full ? 1 : 0));
    },
    onSynced: (target, entries, seenAt) => {
      metrics.recordSynced(seenAt, clock.now());
      notifyPlugin(plugin, target, entries);
    },
    onFullSynced: (_target, seenAt) => {
      metrics.recordSynced(seenAt, clock.now());
    },
  };
}

/** The watcher feeds the queue; a possible loss of events asks for a full sync. */
function watchHandlers(
  config: Config,
  metrics: DaemonMetrics,
  queue: DurableQueue,
  triggers: FullSyncTriggers,
  logger: Logger,
): WatchHandlers {
  return {
    onEvents(events) {
      metrics.recordEvents(events);
      if (config.debug)
        for (const ev of events)
          logger.debug(
            `event ${ev.kind}${ev.isDir ? ' dir' : ''} ${ev.root}/${ev.path}${ev.synthetic ? ' (scan)' : ''}`,
          );
    },
    onChange: queue.add,
    onRescan(root, reason, detail) {
      logger.error(`watcher may have lost events under ${root} (${reason}): ${detail}`);
      metrics.recordRescan(reason);
      triggers.request(root, reason);
    },
  };
}

/** Once watching: what the last run left unsynced (journal, fail log), the full syncs asked at start, the timers. */
function startFeeding(
  queue: DurableQueue,
  triggers: FullSyncTriggers,
  failLog: SyncService['failLog'],
  targets: SyncTargets,
  atStart: PipelineOptions['fullSyncAtStart'],
  logger: Logger,
): void {
  const replayed = queue.replay();
  if (replayed > 0)
    logger.info(
      `journal: ${replayed} change(s) left unsynced by the previous run were queued again`,
    );
  // Entries already in the fail log (sersync2's before the switch, or ours) are queued again.
  const inherited = failLog.inherited(targets.all);
  if (inherited.length > 0) logger.info(`fail log: ${inherited.length} path(s) queued again`);
  for (const c of inherited) queue.add(c.change);
  if (atStart) for (const root of targets.roots) triggers.request(root, atStart);
  triggers.arm();
}

/** SIGUSR2 simulates an inotify queue overflow (tests); returns the function removing the hook. */
function overflowHook(watcher: Watcher, logger: Logger): () => void {
  const onUsr2 = (): void => {
    logger.warn('test hook: simulating an inotify queue overflow');
    (watcher as Watcher & { simulateOverflow?: () => void }).simulateOverflow?.();
  };
  process.on('SIGUSR2', onUsr2);
  return () => {
    process.off('SIGUSR2', onUsr2);
  };
}

/** True when `drained` settles within `ms` and before `force`; false otherwise. */
async function drainWithin(
  drained: Promise<void>,
  ms: number,
  clock: Clock,
  force?: Promise<unknown>,
): Promise<boolean> {
  let cancel: (() => void) | undefined;
  const result = await Promise.race([
    drained.then(() => true),
    new Promise<boolean>((resolve) => {
      cancel = clock.setTimeout(() => {
        resolve(false);
      }, ms);
    }),
    ...(force ? [force.then(() => false)] : []),
  ]);
  cancel?.();
  return result;
}

function logAs(logger: Logger, what = 'journal'): (e: unknown) => void {
  return (e) => {
    logger.error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  };
}
