// Daemon lifecycle: starts the pipeline for the loaded config, reloads it on SIGHUP, stops it on
// SIGTERM/SIGINT (a second signal forces). Shell.
//
//   start --pipeline watching--> running --SIGHUP, new config valid--> (stop old, start new) --> running
//                                   |       SIGHUP, new config bad --> log every issue, keep old
//                                   +--SIGTERM/SIGINT--> draining --drained or 2nd signal--> stopped (exit 0)
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CliOptions } from './cli-args.js';
import { formatIssue } from './config/issues.js';
import { loadConfig } from './config/load.js';
import type { Config, PluginName } from './config/types.js';
import { checkPlugin } from './plugins/registry.js';
import { exitCodeFor, waitForShutdownSignal, type DaemonContext } from './daemon-support.js';
import { daemonChildCwd } from './daemonize.js';
import { ExitCode } from './exit-codes.js';
import type { Logger } from './log.js';
import { startPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';
import { runPluginOnly } from './plugin-mode.js';
import { recordConfigLoad } from './status/process-metrics.js';
import { plural } from './util/plural.js';
import { replaceFile } from './util/safe-fs.js';

export type { DaemonContext } from './daemon-support.js';

/** How long a graceful stop (or a reload) waits for running rsync before killing them. */
const DRAIN_TIMEOUT_MS = 30_000;
/** Marker in the state directory: the service ran here before, so a restart catches up. */
const RAN_BEFORE = 'ran-before';

/** Runs the service until SIGTERM/SIGINT; returns the process exit code. */
export async function runDaemon(ctx: DaemonContext): Promise<ExitCode> {
  const { options, logger } = ctx;
  if (options.module !== undefined) {
    if (!pluginUsable(ctx.config, options.module, 'standalone', logger)) return ExitCode.CONFIG;
    return runPluginOnly(ctx, options.module);
  }
  let config = ctx.config;
  if (
    config.sersync.plugin.enabled &&
    !pluginUsable(config, config.sersync.plugin.name, 'sersync', logger)
  )
    return ExitCode.CONFIG;
  const base = baseOptions(options);

  const first = await startPipeline(
    config,
    {
      ...base,
      fullSyncAtStart: startSync(config, options, logger),
      acceptRoots: options.acceptRoots,
    },
    logger,
  );
  if (!first.ok) {
    logger.error(`cannot start watching: ${first.error.message}`);
    return exitCodeFor(first.error);
  }
  let pipeline: Pipeline = first.value;
  recordConfigLoad(true, Date.now());
  logReady(pipeline, logger);
  ctx.onReady?.();

  const signals = waitForShutdownSignal();
  try {
    for (;;) {
      const sig = await signals.next();
      if (sig !== 'SIGHUP') {
        ctx.onStopping?.();
        logger.info(
          `${sig}: stopping (waiting up to ${DRAIN_TIMEOUT_MS / 1000} s for running rsync; send it again to force)`,
        );
        const force = signals.next().then(() => {
          logger.warn('second signal: killing running rsync');
        });
        const { drained, pendingLeft } = await pipeline.stop(DRAIN_TIMEOUT_MS, force);
        if (pendingLeft > 0)
          logger.warn(`${pendingLeft} change(s) were still pending; the next start catches up`);
        logger.info(`stopped${drained ? '' : ' (running rsync were killed)'}`);
        return ExitCode.OK;
      }
      const reloaded = await reloadPipeline(config, pipeline, base, logger, ctx.onConfig);
      if (reloaded === undefined) continue;
      if (typeof reloaded === 'number') return reloaded;
      ({ config, pipeline } = reloaded);
      logReady(pipeline, logger);
    }
  } finally {
    signals.dispose();
  }
}

/**
 * SIGHUP: a valid file replaces the pipeline (stop old, start new); a bad file, or one whose
 * pipeline cannot start, keeps the previous configuration (restarted). Records the outcome in
 * `sersync_config_last_reload_successful`. Undefined when the file was refused (nothing changed);
 * an exit code when not even the old configuration starts again. `onConfig`: DaemonContext's.
 */
async function reloadPipeline(
  config: Config,
  pipeline: Pipeline,
  base: Omit<PipelineOptions, 'fullSyncAtStart'>,
  logger: Logger,
  onConfig?: (next: Config) => void,
): Promise<{ config: Config; pipeline: Pipeline } | ExitCode | undefined> {
  const loaded = (ok: boolean): void => {
    recordConfigLoad(ok, Date.now());
  };
  const next = await reload(config.file, logger);
  if (!next) {
    loaded(false);
    return undefined;
  }
  onConfig?.(next); // the logger redacts the new config's secrets from here on
  logger.info('SIGHUP: configuration is valid; restarting the pipeline with it');
  await pipeline.stop(DRAIN_TIMEOUT_MS);
  // Anything that changed while the old pipeline was stopping is caught by a full sync.
  const restarted = await startPipeline(next, { ...base, fullSyncAtStart: 'catch-up' }, logger);
  loaded(restarted.ok);
  if (restarted.ok) return { config: next, pipeline: restarted.value };
  logger.error(
    `the new configuration cannot start (${restarted.error.message}); keeping the previous one`,
  );
  const again = await startPipeline(config, { ...base, fullSyncAtStart: 'catch-up' }, logger);
  if (!again.ok) {
    logger.error(`the previous configuration cannot start either: ${again.error.message}`);
    return exitCodeFor(again.error);
  }
  return { config, pipeline: again.value };
}

/** The pipeline options every start of this run shares (test overrides from the environment). */
function baseOptions(options: CliOptions): Omit<PipelineOptions, 'fullSyncAtStart'> {
  const env = (name: string): number | undefined => {
    const n = Number(process.env[name]);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const cron = env('SERSYNC_CRONTAB_INTERVAL_MS');
  const poll = env('SERSYNC_ROOT_POLL_MS');
  const idle = env('SERSYNC_POOL_IDLE_MS');
  return {
    threads: options.threads,
    rsyncPath: process.env['SERSYNC_RSYNC'] ?? 'rsync',
    testHooks: process.env['SERSYNC_TEST_HOOKS'] === '1',
    ...(cron === undefined ? {} : { crontabIntervalMs: cron }),
    ...(poll === undefined ? {} : { rootPollMs: poll }),
    ...(idle === undefined ? {} : { poolIdleMs: idle }),
  };
}

/** Logs checkPlugin's warnings and errors; false when the plugin cannot run (nothing starts: exit 78). */
function pluginUsable(
  config: Config,
  name: PluginName,
  mode: 'sersync' | 'standalone',
  logger: Logger,
): boolean {
  const check = checkPlugin(name, config, mode);
  for (const w of check.warnings) logger.warn(`plugin ${name}: ${w}`);
  for (const e of check.errors) logger.error(`${config.file}: plugin ${name}: ${e}`);
  return check.errors.length === 0;
}

/** The readiness line operators (and tests) wait for; it names the roots still waited for. */
function logReady(pipeline: Pipeline, logger: Logger): void {
  const states = pipeline.metrics.status().rootStates;
  const watched = states.filter((r) => r.state === 'watching').map((r) => r.root);
  const waiting = states.filter((r) => r.state === 'waiting').map((r) => r.root);
  logger.info(
    `ready: watching ${watched.length > 0 ? watched.join(', ') : 'no root yet'} (${pipeline.watcher.backend}, ${plural(pipeline.watcher.watchCount, 'directory', 'directories')})${waiting.length > 0 ? `; waiting for ${waiting.join(', ')} to appear` : ''}`,
  );
}

/**
 * What to push once the watches are in place: `-r` as asked; otherwise, when the service ran
 * before with this state directory, a catch-up full sync of every root so changes made while it
 * was down (or lost by a crash) reach the targets. The first start without `-r` pushes nothing,
 * as the original.
 */
function startSync(
  config: Config,
  options: CliOptions,
  logger: Logger,
): PipelineOptions['fullSyncAtStart'] {
  const dir = config.sersync.failLog.stateDir;
  const marker = join(dir, RAN_BEFORE);
  const ranBefore = existsSync(marker);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    replaceFile(marker, `${new Date().toISOString()}\n`, 0o600); // never through a planted link
  } catch (e) {
    logger.warn(
      `state directory ${dir}: ${e instanceof Error ? e.message : String(e)} (no catch-up after a restart)`,
    );
  }
  if (options.rsyncFirst) return 'rsync-first';
  return ranBefore ? 'catch-up' : false;
}

/** Loads the config file again; on any error logs every issue (as --check prints them) and returns undefined. */
async function reload(file: string, logger: Logger): Promise<Config | undefined> {
  logger.info(`SIGHUP: reloading ${file}`);
  const r = await loadConfig(file, { cwd: daemonChildCwd(process.env) ?? process.cwd() });
  if (r.ok) {
    for (const w of r.value.warnings) logger.warn(formatIssue(w));
    const next = r.value.config;
    if (
      !next.sersync.plugin.enabled ||
      pluginUsable(next, next.sersync.plugin.name, 'sersync', logger)
    )
      return next;
  } else if (r.error.kind === 'invalid')
    for (const i of r.error.issues) logger.error(formatIssue(i));
  else logger.error(`${r.error.file}: ${r.error.message}`);
  logger.error('SIGHUP: the new configuration has errors; still running with the previous one');
  return undefined;
}
