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
import type { RootLook } from './pipeline/root-guard.js';
import { wireRoots, type RootWiring } from './pipeline/root-wiring.js';
import type { StartFailure } from './pipeline/start-failure.js';
import { createSyncService } from './pipeline/sync-service.js';
import { buildTargets, type SyncTargets } from './pipeline/targets.js';
import type { DaemonMetrics } from './status/daemon-metrics.js';
import { systemClock, type Clock } from './util/clock.js';
import { err, ok, type Result } from './util/result.js';
import type { startWatcher, WatchHandlers } from './watch/create-watcher.js';
import type { Watcher } from './watch/fs-event.js';
import { preparePasswordAlias } from './sync/password-alias.js';

export interface PipelineOptions {
  readonly threads: number;
  /** Push every root once after the watches are in place (`-r`, or the catch-up after downtime). */
  readonly fullSyncAtStart: 'rsync-first' | 'catch-up' | false;
  readonly rsyncPath: string;
  /** Test hook: SIGUSR2 injects a simulated IN_Q_OVERFLOW (env SERSYNC_TEST_HOOKS=1). */
  readonly testHooks: boolean;
  /** Overrides `<crontab schedule>` (env SERSYNC_CRONTAB_INTERVAL_MS, for tests). */
  readonly crontabIntervalMs?: number;
  /** `--accept-roots`: the first full sync of each root skips the root guard. */
  readonly acceptRoots?: boolean;
  /** Overrides the root poll interval (env SERSYNC_ROOT_POLL_MS, for tests). */
  readonly rootPollMs?: number;
  /** Overrides how long an idle worker thread lives (env SERSYNC_POOL_IDLE_MS, for tests and the bench). */
  readonly poolIdleMs?: number;
}

/** The parts a test may replace (the defaults are the real ones). */
export interface PipelineDeps {
  readonly clock?: Clock;
  readonly startWatcher?: typeof startWatcher;
  readonly createSyncService?: typeof createSyncService;
  /** What a root looks like (root-probe.ts lookAt). */
  readonly lookAt?: (root: string) => RootLook;
  /** Entries below a root (root-probe.ts countEntries, with the config's excludes). */
  readonly countEntries?: (root: string) => Promise<number | null>;
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

/** The targets of `config`, logged, with the alias of a raw-byte password file made (password-alias.ts). */
function prepareTargets(config: Config, logger: Logger): Result<SyncTargets, StartFailure> {
  const alias = preparePasswordAlias(config);
  if (!alias.ok) return err({ kind: 'state-dir', message: alias.error });
  const targets = buildTargets(config);
  for (const t of targets.all) logger.info(`sync ${t.root} -> ${targets.label(t)}`);
  return ok(targets);
}

/** Builds and starts the pipeline; a watcher that cannot start or a bad state dir is a failure value. */
export async function startPipeline(
  config: Config,
  opts: PipelineOptions,
  logger: Logger,
  deps: PipelineDeps = {},
): Promise<Result<Pipeline, StartFailure>> {
  const clock = deps.clock ?? systemClock;
  const prepared = prepareTargets(config, logger);
  if (!prepared.ok) return prepared;
  const targets = prepared.value;
  const probed: Probed = {};
  const metrics = createMetrics(config, targets, clock, probed);
  const late: Partial<RootWiring> = {}; // the root side needs the queue, the queue its guard
  const sync = (deps.createSyncService ?? createSyncService)({
    ...{ config, targets, clock, logger, threads: opts.threads, rsyncPath: opts.rsyncPath },
    showFirstFullProgress: opts.fullSyncAtStart === 'rsync-first',
    ...(opts.poolIdleMs === undefined ? {} : { poolIdleMs: opts.poolIdleMs }),
    onRun: (t, o) => {
      metrics.recordRun(targets.ref(t), o, clock.now(), o.run ? { ...o.run } : {});
    },
    maxDeleteFor: (t) => late.keeper?.maxDelete(t.root),
  });
  const plugin = startPlugin(config, logger);
  const opened = await openDurableQueue({
    ...{ stateDir: config.sersync.failLog.stateDir, targets, clock, logger },
    ...{ maxInFlight: opts.threads, quietMs: config.daemon.quietMs },
    runBatch: (batch) => late.guarded?.runBatch(batch) ?? sync.runBatch(batch),
    backoff: { initialMs: 1000, capMs: config.sersync.failLog.retryCapMs },
    ...queueReports(targets, metrics, plugin, clock, logger, (root) => {
      late.guarded?.realtimeSynced(root);
    }),
  });
  if (!opened.ok) {
    await Promise.all([sync.closePool(true), plugin?.close()]);
    return err(opened.error);
  }
  const queue = (probed.queue = opened.value);
  const triggers = createFullSyncTriggers({
    ...{ config, targets, clock, logger, failLog: sync.failLog, add: queue.add },
    addFull: (root) => late.keeper?.admit(root),
    ...(opts.crontabIntervalMs !== undefined ? { crontabIntervalMs: opts.crontabIntervalMs } : {}),
  });
  const { keeper, watches } = Object.assign(
    late,
    wireRoots({
      ...{ config, targets, clock, logger, queue, failLog: sync.failLog },
      runBatch: sync.runBatch,
      handlers: watchHandlers(config, metrics, queue, triggers, logger, (root) => {
        late.keeper?.lost(root);
      }),
      ...{ deps, acceptRoots: opts.acceptRoots === true, pollMs: opts.rootPollMs },
    }),
  );
  const started = await keeper.start();
  if (!started.ok) {
    await watches.watcher.close();
    await Promise.all([sync.closePool(true), plugin?.close(), queue.close().catch(logAs(logger))]);
    return err(started.error);
  }
  const watcher = (probed.watcher = watches.watcher);
  probed.roots = keeper;
  metrics.setState('watching');
  const status = await startStatus(config, metrics, clock, logger);

  if (opts.fullSyncAtStart)
    for (const root of targets.roots) triggers.request(root, opts.fullSyncAtStart);
  keeper.arm(); // queues what the last run left, per root, once the root is fit to sync from
  triggers.arm();
  const offTestHook = opts.testHooks ? overflowHook(watcher, logger) : () => undefined;

  return ok({
    watcher,
    metrics,
    stop: stopper({ clock, logger, metrics, watcher, queue, sync, plugin, status }, () => {
      offTestHook();
      triggers.cancel();
      keeper.close();
    }),
  });
}

/** The stop order (docs/architecture.md): timers off, watcher closed, drain, pool, the rest. */
function stopper(
  p: {
    clock: Clock;
    logger: Logger;
    metrics: DaemonMetrics;
    watcher: Watcher;
    queue: DurableQueue;
    sync: Pick<ReturnType<typeof createSyncService>, 'closePool' | 'flush'>;
    plugin: Plugin | undefined;
    status: { close(): Promise<void> } | undefined;
  },
  timersOff: () => void,
): Pipeline['stop'] {
  return async (drainMs, force) => {
    timersOff();
    p.metrics.setState('draining');
    await p.watcher.close();
    const drained = await drainWithin(p.queue.drain(), drainMs, p.clock, force);
    await p.sync.closePool(!drained);
    const pendingLeft = p.queue.left();
    await p.plugin?.close();
    await p.status?.close();
    await p.sync.flush().catch(logAs(p.logger, 'fail log'));
    await p.queue.close().catch(logAs(p.logger, 'journal'));
    return { drained, pendingLeft };
  };
}

/** What the queue reports: retries (log line, metric) and synced entries (latency, plugin). */
function queueReports(
  targets: SyncTargets,
  metrics: DaemonMetrics,
  plugin: Plugin | undefined,
  clock: Clock,
  logger: Logger,
  realtimeSynced: (root: string) => void,
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
      realtimeSynced(target.root);
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
  rootLost: (root: string) => void,
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
      // A lost root is not synced from (it may be an unmount): the root keeper checks it now.
      if (reason === 'root-lost') rootLost(root);
      else triggers.request(root, reason);
    },
  };
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
