// Composition root: builds every I/O object, wires watcher -> filter -> scheduler -> rsync pool,
// runs the `-r` push and owns the signals. Shell.
//
//   starting --watch roots--> [-r: full sync queued] --> running --SIGTERM/SIGINT--> draining --> stopped
//                                                           |                           | 2nd signal
//                                                           +-- watcher rescan request  +--> forced stop
import type { CliOptions } from './cli-args.js';
import type { Config } from './config/types.js';
import { ExitCode } from './exit-codes.js';
import type { Logger } from './log.js';
import { runPluginOnly } from './plugin-mode.js';
import { createPlugin } from './plugins/registry.js';
import { toPluginEvent, type Plugin } from './plugins/plugin.js';
import { Scheduler } from './queue/scheduler.js';
import type { Batch, BatchOutcome, Entry, Target } from './queue/types.js';
import { createFailLogFile } from './retry/fail-log-file.js';
import { createPool } from './sync/pool.js';
import { createBatchRunner } from './sync/runner.js';
import { systemClock } from './util/clock.js';
import { createWatcher } from './watch/create-watcher.js';
import { createEventFilter } from './watch/filter.js';
import type { RescanReason } from './watch/fs-event.js';
import { remoteLabel, waitForShutdownSignal } from './daemon-support.js';

export interface DaemonContext {
  readonly config: Config;
  readonly options: CliOptions;
  readonly logger: Logger;
  /** Called once every root is watched (the `-d` child reports readiness to its parent here). */
  readonly onReady?: () => void;
}

/** Minimum time between two full syncs of one root requested by the watcher (overflow, watch limit). */
const RESCAN_MIN_INTERVAL_MS = 10_000;
/** How long a graceful stop waits for in-flight rsync runs before killing them. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Runs the service until SIGTERM/SIGINT; returns the process exit code. */
export async function runDaemon(ctx: DaemonContext): Promise<ExitCode> {
  const { config, options, logger } = ctx;
  if (options.module !== undefined) return runPluginOnly(ctx, options.module);

  const rsyncPath = process.env['SERSYNC_RSYNC'] ?? 'rsync';
  const targets: Target[] = config.sersync.localpaths.flatMap((lp) =>
    lp.remotes.map((_r, remoteIndex) => ({ key: `${lp.watch}\u0000${remoteIndex}`, root: lp.watch, remoteIndex })),
  );
  for (const t of targets) logger.info(`sync ${t.root} -> ${remoteLabel(config, t)}`);

  const pool = createPool({ threads: options.threads });
  // The fail log renders its commands with the runner's argv (called only after `run` exists);
  // the runner records into the fail log.
  const failLog = createFailLogFile({
    path: config.sersync.failLog.path,
    commandFor: (target, paths) => run.commandFor(target, paths),
    onError: (e) => { logger.error(`cannot write the fail log ${config.sersync.failLog.path}: ${e.message}`); },
  });
  const run = createBatchRunner({ config, pool, logger, failLog, rsyncPath });
  const plugin: Plugin | undefined = config.sersync.plugin.enabled
    ? createPlugin(config.sersync.plugin.name, config, logger)
    : undefined;

  const runBatch = (batch: Batch): Promise<BatchOutcome> =>
    batch.entries.some((e) => e.path === '')
      ? run.runFullSync(batch.target.root, batch.target.remoteIndex)
      : run(batch);

  const scheduler = new Scheduler({
    targets,
    clock: systemClock,
    runBatch,
    maxInFlight: options.threads,
    quietMs: config.daemon.quietMs,
    backoff: { initialMs: 1000, capMs: config.sersync.failLog.retryCapMs },
    onRetry: (target, entries, delayMs, reason) => {
      logger.warn(
        `retry in ${Math.round(delayMs / 1000)} s: ${entries.length} path(s) for ${remoteLabel(config, target)} (${reason})`,
      );
    },
    onSynced: (target, entries) => {
      if (plugin && target.remoteIndex === 0) notifyPlugin(plugin, target.root, entries);
    },
  });

  const filter = createEventFilter(config);
  const lastRescan = new Map<string, number>();
  const requestFullSync = (root: string, reason: RescanReason | 'startup', detail: string): void => {
    const now = Date.now();
    const wait = Math.max(0, (lastRescan.get(root) ?? -Infinity) + RESCAN_MIN_INTERVAL_MS - now);
    lastRescan.set(root, now + wait);
    logger.warn(`full sync of ${root} scheduled${wait > 0 ? ` in ${Math.ceil(wait / 1000)} s` : ''}: ${reason}${detail ? ` (${detail})` : ''}`);
    if (wait === 0) scheduler.addFull(root);
    else systemClock.setTimeout(() => { scheduler.addFull(root); }, wait);
  };

  const watcher = createWatcher(
    config.daemon.watcher,
    { roots: config.sersync.localpaths.map((lp) => lp.watch), isExcluded: filter.isExcluded, statWalk: config.xfs },
    {
      onEvents(events) {
        for (const ev of events) {
          if (config.debug) logger.debug(`event ${ev.kind}${ev.isDir ? ' dir' : ''} ${ev.root}/${ev.path}${ev.synthetic ? ' (scan)' : ''}`);
          const change = filter.toChange(ev);
          if (change) scheduler.add(change);
        }
      },
      onRescan(root, reason, detail) {
        logger.error(`watcher lost events under ${root} (${reason}): ${detail}`);
        requestFullSync(root, reason, '');
      },
      onWarning(message) {
        logger.warn(message);
      },
    },
    logger,
  );

  try {
    await watcher.start();
  } catch (e) {
    logger.error(`cannot watch: ${e instanceof Error ? e.message : String(e)}`);
    await pool.close({ force: true });
    return ExitCode.NO_INPUT;
  }
  logger.info(`watching ${config.sersync.localpaths.map((lp) => lp.watch).join(', ')} (${watcher.backend}, ${watcher.watchCount} directories)`);

  // -r: the watches are already in place, so nothing changed during the push is lost.
  if (options.rsyncFirst) {
    for (const lp of config.sersync.localpaths) requestFullSync(lp.watch, 'startup', '-r');
  }
  ctx.onReady?.();

  const signals = waitForShutdownSignal();
  const first = await signals.next();
  logger.info(`${first}: stopping (waiting up to ${DRAIN_TIMEOUT_MS / 1000} s for running rsync; send again to force)`);
  await watcher.close();
  const drained = await Promise.race([
    scheduler.close().then(() => 'drained' as const),
    signals.next().then(() => 'forced' as const),
    new Promise<'timeout'>((resolve) => systemClock.setTimeout(() => { resolve('timeout'); }, DRAIN_TIMEOUT_MS)),
  ]);
  await pool.close({ force: drained !== 'drained' });
  const left = scheduler.snapshot().reduce((n, s) => n + s.entries.length, 0);
  if (left > 0) logger.warn(`${left} change(s) were still pending at shutdown`);
  await plugin?.close();
  await failLog.flush();
  signals.dispose();
  logger.info(`stopped (${drained})`);
  return ExitCode.OK;
}

function notifyPlugin(plugin: Plugin, root: string, entries: readonly Entry[]): void {
  for (const e of entries) if (e.path !== '') plugin.notify(toPluginEvent({ root, path: e.path, op: e.op, isDir: e.isDir }));
}
