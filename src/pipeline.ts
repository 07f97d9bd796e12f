// One running instance of the sync pipeline for one loaded Config: watcher -> filter -> scheduler
// -> rsync pool, plus fail log, plugin, crontab timer and the status endpoint. The daemon builds a
// new one on SIGHUP. Shell.
//
//   start() --watches in place--> running --stop(drainMs)--> stopped
//             (-r / catch-up full syncs queued, crontab armed)
import { statSync } from 'node:fs';
import type { Config } from './config/types.js';
import { remoteLabel } from './daemon-support.js';
import type { Logger } from './log.js';
import { createPlugin } from './plugins/registry.js';
import { toPluginEvent, type Plugin } from './plugins/plugin.js';
import { Scheduler } from './queue/scheduler.js';
import type { Batch, BatchOutcome, Change, Target } from './queue/types.js';
import { createFailLogFile } from './retry/fail-log-file.js';
import { openJournal, type Journal } from './retry/journal.js';
import type { JournalRecord } from './retry/journal-codec.js';
import {
  createDaemonMetrics,
  type DaemonMetrics,
  type RemoteRef,
} from './status/daemon-metrics.js';
import { startStatusServer, type StatusServer } from './status/status-server.js';
import { createPool } from './sync/pool.js';
import { createProgressBoard } from './sync/progress.js';
import { createBatchRunner } from './sync/runner.js';
import { systemClock } from './util/clock.js';
import { createWatcher } from './watch/create-watcher.js';
import { createEventFilter, unwantedKinds } from './watch/filter.js';
import type { RescanReason, Watcher } from './watch/fs-event.js';

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

export interface Pipeline {
  readonly watcher: Watcher;
  /**
   * Stops watching and lets running rsync finish for at most `drainMs`, or until `force` settles;
   * then kills what still runs. Returns whether it drained and how many changes were left pending.
   */
  stop(
    drainMs: number,
    force?: Promise<unknown>,
  ): Promise<{ drained: boolean; pendingLeft: number }>;
}

/** Minimum time between two full syncs of one root requested by the watcher (overflow, watch limit). */
const RESCAN_MIN_INTERVAL_MS = 10_000;

/** Builds and starts the pipeline; rejects (with a message for the operator) when a root cannot be watched. */
export async function startPipeline(
  config: Config,
  opts: PipelineOptions,
  logger: Logger,
): Promise<Pipeline> {
  const targets: Target[] = config.sersync.localpaths.flatMap((lp) =>
    lp.remotes.map((_r, remoteIndex) => ({
      key: `${lp.watch}\u0000${remoteIndex}`,
      root: lp.watch,
      remoteIndex,
    })),
  );
  const refs = new Map<string, RemoteRef>(
    targets.map((t) => [t.key, { label: remoteLabel(config, t), root: t.root }]),
  );
  for (const t of targets) logger.info(`sync ${t.root} -> ${remoteLabel(config, t)}`);

  // Durable state: every queued path is journalled until it synced (docs/reliability.md).
  const opened = await openJournal(config.sersync.failLog.stateDir, {
    onError: (e) => {
      logger.error(`journal in ${config.sersync.failLog.stateDir}: ${e.message}`);
    },
  });
  if (!opened.ok) throw new Error(opened.error.message);
  const journal: Journal = opened.value;
  const targetsOf = new Map<string, Target[]>();
  for (const t of targets) targetsOf.set(t.root, [...(targetsOf.get(t.root) ?? []), t]);
  const enqueue = (change: Change): void => {
    const ts = targetsOf.get(change.root) ?? [];
    journal.append(
      ts.map((t): JournalRecord => ({
        kind: 'pending',
        targetKey: t.key,
        path: change.path,
        op: change.op,
        isDir: change.isDir,
      })),
    );
    scheduler.add(change);
  };

  const pool = createPool({ threads: opts.threads });
  // The fail log renders its commands with the runner's argv (called only once `run` exists).
  const failLog = createFailLogFile({
    path: config.sersync.failLog.path,
    commandFor: (target, paths) => run.commandFor(target, paths),
    onError: (e) => {
      logger.error(`cannot write the fail log ${config.sersync.failLog.path}: ${e.message}`);
    },
    onWarning: (m) => {
      logger.warn(m);
    },
  });
  const run = createBatchRunner({ config, pool, logger, failLog, rsyncPath: opts.rsyncPath });
  const plugin = startPlugin(config, logger);
  const crontabExcludes = config.sersync.crontab.filterEnabled
    ? config.sersync.crontab.excludes
    : [];

  // The probe reads the scheduler and watcher defined below; it only runs at scrape time.
  const metrics: DaemonMetrics = createDaemonMetrics({
    startedAt: Date.now(),
    roots: config.sersync.localpaths.map((lp) => lp.watch),
    remotes: [...refs.values()],
    probe: () => ({
      pending: scheduler.pendingCount(),
      inFlight: scheduler.inFlightCount(),
      watchCount: watcher.watchCount,
      backend: watcher.backend,
      failLogBytes: fileSize(config.sersync.failLog.path),
    }),
  });
  // `-r`: the first full sync of each target shows progress (a TTY line, else a log line every 10 s).
  const board =
    opts.fullSyncAtStart === 'rsync-first' ? createProgressBoard({ logger }) : undefined;
  const firstFull = new Set(targets.map((t) => t.key));
  const fullSync = async (target: Target): Promise<BatchOutcome> => {
    const sink =
      board !== undefined && firstFull.delete(target.key)
        ? board.start(target.root, remoteLabel(config, target))
        : undefined;
    try {
      return await run.runFullSync(target.root, target.remoteIndex, {
        crontabExcludes,
        ...(sink ? { onProgress: sink.update } : {}),
      });
    } finally {
      sink?.finish();
    }
  };
  const runBatch = async (batch: Batch): Promise<BatchOutcome> => {
    const t0 = Date.now();
    const outcome = batch.entries.some((e) => e.path === '')
      ? await fullSync(batch.target)
      : await run(batch);
    const ref = refs.get(batch.target.key);
    if (ref) metrics.recordRun(ref, outcome, Date.now(), { durationMs: Date.now() - t0 });
    return outcome;
  };

  const scheduler = new Scheduler({
    targets,
    clock: systemClock,
    runBatch,
    maxInFlight: opts.threads,
    quietMs: config.daemon.quietMs,
    backoff: { initialMs: 1000, capMs: config.sersync.failLog.retryCapMs },
    onRetry: (target, entries, delayMs, reason) => {
      logger.warn(
        `retry in ${(delayMs / 1000).toFixed(1)} s: ${entries.length} path(s) for ${remoteLabel(config, target)} (${reason})`,
      );
      const ref = refs.get(target.key);
      if (ref) metrics.recordRetry(ref, entries.length);
    },
    onSynced: (target, entries) => {
      // A synced directory (or the whole root, path '') covers what was queued below it.
      journal.append(
        entries.map((e): JournalRecord => ({
          kind: 'done',
          targetKey: target.key,
          path: e.path,
          subtree: e.isDir || e.path === '',
        })),
      );
      if (!plugin || target.remoteIndex !== 0) return;
      for (const e of entries)
        if (e.path !== '')
          plugin.notify(
            toPluginEvent({ root: target.root, path: e.path, op: e.op, isDir: e.isDir }),
          );
    },
  });

  const filter = createEventFilter(config);
  const lastRescan = new Map<string, number>();
  const cancels: (() => void)[] = [];
  const requestFullSync = (
    root: string,
    why: RescanReason | 'rsync-first' | 'catch-up' | 'crontab',
  ): void => {
    const now = Date.now();
    const wait = Math.max(0, (lastRescan.get(root) ?? -Infinity) + RESCAN_MIN_INTERVAL_MS - now);
    if (why !== 'crontab' && why !== 'rsync-first' && why !== 'catch-up')
      lastRescan.set(root, now + wait);
    logger.info(
      `full sync of ${root} queued (${why})${wait > 0 ? ` in ${Math.ceil(wait / 1000)} s` : ''}`,
    );
    if (wait === 0) scheduler.addFull(root);
    else
      cancels.push(
        systemClock.setTimeout(() => {
          scheduler.addFull(root);
        }, wait),
      );
  };

  const roots = config.sersync.localpaths.map((lp) => lp.watch);
  let created: Watcher | undefined;
  try {
    created = createWatcher(
      config.daemon.watcher,
      {
        roots,
        isExcluded: filter.isExcluded,
        statWalk: config.xfs,
        unwantedKinds: unwantedKinds(config.inotify),
      },
      {
        onEvents(events) {
          metrics.recordEvents(events);
          for (const ev of events) {
            if (config.debug)
              logger.debug(
                `event ${ev.kind}${ev.isDir ? ' dir' : ''} ${ev.root}/${ev.path}${ev.synthetic ? ' (scan)' : ''}`,
              );
            const change = filter.toChange(ev);
            if (change) enqueue(change);
          }
        },
        onRescan(root, reason, detail) {
          logger.error(`watcher may have lost events under ${root} (${reason}): ${detail}`);
          metrics.recordRescan(reason);
          requestFullSync(root, reason);
        },
        onWarning(message) {
          logger.warn(message);
        },
      },
      logger,
    );
    await created.start();
  } catch (e) {
    // createWatcher throws when the backend is unavailable; start() when a root cannot be watched.
    await created?.close().catch(() => undefined);
    await pool.close({ force: true });
    await journal.close().catch(() => undefined);
    throw e;
  }
  const watcher: Watcher = created;

  metrics.setState('watching');
  const status = await startStatus(config, metrics, logger);

  replayJournal(journal, targets, scheduler, logger);
  // Entries already in the fail log (sersync2's before the switch, or ours) are queued again.
  const inherited = failLog.inherited(targets);
  if (inherited.length > 0) logger.info(`fail log: ${inherited.length} path(s) queued again`);
  for (const c of inherited) enqueue(c.change);
  if (opts.fullSyncAtStart) for (const root of roots) requestFullSync(root, opts.fullSyncAtStart);
  armCrontab(config, opts, logger, roots, cancels, requestFullSync);
  armFailLogRerun(config, logger, failLog, targets, enqueue, cancels);
  const onUsr2 = (): void => {
    const w = watcher as Watcher & { simulateOverflow?: () => void };
    logger.warn('test hook: simulating an inotify queue overflow');
    w.simulateOverflow?.();
  };
  if (opts.testHooks) process.on('SIGUSR2', onUsr2);

  return {
    watcher,
    async stop(drainMs, force) {
      process.off('SIGUSR2', onUsr2);
      for (const c of cancels) c();
      metrics.setState('draining');
      await watcher.close();
      let timer: (() => void) | undefined;
      const drained = await Promise.race([
        scheduler.close().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = systemClock.setTimeout(() => {
            resolve(false);
          }, drainMs);
        }),
        ...(force ? [force.then(() => false)] : []),
      ]);
      timer?.();
      await pool.close({ force: !drained });
      const pendingLeft = scheduler.snapshot().reduce((n, s) => n + s.entries.length, 0);
      await plugin?.close();
      await status?.close();
      await failLog.flush().catch((e: unknown) => {
        logger.error(`fail log: ${e instanceof Error ? e.message : String(e)}`);
      });
      await journal.close().catch((e: unknown) => {
        logger.error(`journal: ${e instanceof Error ? e.message : String(e)}`);
      });
      return { drained, pendingLeft };
    },
  };
}

/** Requeues what a previous run journalled and never synced (a crash, a kill -9, a stop mid-burst). */
function replayJournal(
  journal: Journal,
  targets: readonly Target[],
  scheduler: Scheduler,
  logger: Logger,
): void {
  const byKey = new Map(targets.map((t) => [t.key, t]));
  let count = 0;
  for (const [key, paths] of journal.outstanding()) {
    const target = byKey.get(key);
    if (!target) {
      // A root or remote that left the config: nothing to sync it to any more.
      journal.append([{ kind: 'done', targetKey: key, path: '', subtree: true }]);
      continue;
    }
    for (const p of paths) {
      if (p.path === '') scheduler.addFull(target.root);
      else scheduler.add({ root: target.root, path: p.path, op: p.op, isDir: p.isDir });
      count++;
    }
  }
  if (count > 0)
    logger.info(`journal: ${count} change(s) left unsynced by the previous run were queued again`);
}

/** The after-sync plugin (already checked by the daemon: checkPlugin errors stop the start). */
function startPlugin(config: Config, logger: Logger): Plugin | undefined {
  if (!config.sersync.plugin.enabled) return undefined;
  logger.info(`after each sync the plugin runs: ${config.sersync.plugin.name}`);
  return createPlugin(config.sersync.plugin.name, config, logger);
}

async function startStatus(
  config: Config,
  metrics: DaemonMetrics,
  logger: Logger,
): Promise<StatusServer | undefined> {
  if (!config.host.enabled) return undefined;
  const r = await startStatusServer({
    host: config.host.hostip,
    port: config.host.port,
    source: metrics.source(Date.now),
    logger,
  });
  if (!r.ok) {
    logger.warn(`status endpoint off: ${r.error.message}`);
    return undefined;
  }
  return r.value;
}

function armCrontab(
  config: Config,
  opts: PipelineOptions,
  logger: Logger,
  roots: readonly string[],
  cancels: (() => void)[],
  requestFullSync: (root: string, why: 'crontab') => void,
): void {
  const cron = config.sersync.crontab;
  if (cron.disabledReason !== undefined) logger.warn(`crontab is off: ${cron.disabledReason}`);
  if (!cron.enabled || cron.disabledReason !== undefined) return;
  const every = opts.crontabIntervalMs ?? cron.intervalMs;
  logger.info(
    `crontab: full sync of every root every ${every >= 60_000 ? `${every / 60_000} min` : `${every} ms`}${cron.excludes.length > 0 ? ` excluding ${cron.excludes.join(' ')}` : ''}`,
  );
  let cancel = (): void => undefined;
  const tick = (): void => {
    for (const root of roots) requestFullSync(root, 'crontab');
    cancel = systemClock.setTimeout(tick, every);
  };
  cancel = systemClock.setTimeout(tick, every);
  cancels.push(() => {
    cancel();
  });
}

/**
 * `<failLog timeToExecute>` keeps its sersync meaning: every that many minutes, everything still
 * in the fail log is tried again now, whatever its back-off (the back-off retries go on meanwhile).
 */
function armFailLogRerun(
  config: Config,
  logger: Logger,
  failLog: { outstanding(): Map<string, Map<string, number>> },
  targets: readonly Target[],
  enqueue: (c: Change) => void,
  cancels: (() => void)[],
): void {
  const byKey = new Map(targets.map((t) => [t.key, t]));
  let cancel = (): void => undefined;
  const tick = (): void => {
    let n = 0;
    for (const [key, paths] of failLog.outstanding()) {
      const target = byKey.get(key);
      // The op does not matter: a listed path is sent if it exists and deleted if it does not.
      if (target)
        for (const path of paths.keys()) {
          enqueue({ root: target.root, path, op: 'upsert', isDir: false });
          n++;
        }
    }
    if (n > 0) logger.info(`fail log: re-running ${n} outstanding path(s) (timeToExecute)`);
    cancel = systemClock.setTimeout(tick, config.sersync.failLog.retryIntervalMs);
  };
  cancel = systemClock.setTimeout(tick, config.sersync.failLog.retryIntervalMs);
  cancels.push(() => {
    cancel();
  });
}

/** Size of the fail-log file in bytes (0 when absent). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
