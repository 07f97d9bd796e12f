// What the pipeline shows to the outside: the metrics it feeds (with their scrape-time probe; the
// process-wide metrics are served beside them), the status endpoint, and the after-sync plugin it
// notifies. Shell.
import { statSync } from 'node:fs';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { toPluginEvent, type Plugin } from '../plugins/plugin.js';
import { createPlugin } from '../plugins/registry.js';
import type { Entry, Target } from '../queue/types.js';
import { createDaemonMetrics, type DaemonMetrics } from '../status/daemon-metrics.js';
import { processMetrics } from '../status/process-metrics.js';
import type { RootState } from '../status/report.js';
import { startStatusServer, type StatusServer } from '../status/status-server.js';
import type { Clock } from '../util/clock.js';
import { packageVersion } from '../version.js';
import type { Watcher } from '../watch/fs-event.js';
import type { SyncTargets } from './targets.js';

/** What the metrics probe reads at scrape time (set once the watcher runs). */
export interface Probed {
  queue?: { pendingCount(): number; inFlightCount(): number };
  watcher?: Pick<Watcher, 'watchCount' | 'backend'>;
  roots?: { statuses(): RootState[] };
}

export function createMetrics(
  config: Config,
  targets: SyncTargets,
  clock: Clock,
  probed: Probed,
): DaemonMetrics {
  return createDaemonMetrics({
    startedAt: clock.now(),
    roots: targets.roots,
    remotes: targets.all.map((t) => targets.ref(t)),
    // /healthz tolerates one capped back-off round of failures (`<failLog retryCap>`, 60 s).
    graceMs: config.sersync.failLog.retryCapMs,
    probe: () => ({
      pending: probed.queue?.pendingCount() ?? 0,
      inFlight: probed.queue?.inFlightCount() ?? 0,
      watchCount: probed.watcher?.watchCount ?? 0,
      backend: probed.watcher?.backend ?? null,
      failLogBytes: fileSize(config.sersync.failLog.path),
      ...(probed.roots ? { roots: probed.roots.statuses() } : {}),
    }),
    build: { version: packageVersion(), nodeVersion: process.version },
    // Only with the endpoint on: nothing else reads them (a reload that turns it on creates them).
    ...(config.host.enabled ? { shared: processMetrics().registry } : {}),
  });
}

/** The status endpoint (`<host>`), or undefined when off or when it cannot listen (logged). */
export async function startStatus(
  config: Config,
  metrics: DaemonMetrics,
  clock: Clock,
  logger: Logger,
): Promise<StatusServer | undefined> {
  if (!config.host.enabled) return undefined;
  const r = await startStatusServer({
    host: config.host.hostip,
    port: config.host.port,
    source: metrics.source(() => clock.now()),
    logger,
    // The logger's secrets, as they are at each request (they grow on SIGHUP and password changes).
    ...(logger.secrets === undefined ? {} : { secrets: logger.secrets }),
  });
  if (!r.ok) {
    logger.warn(`status endpoint off: ${r.error.message}`);
    return undefined;
  }
  return r.value;
}

/** The after-sync plugin (already checked by the daemon: checkPlugin errors stop the start). */
export function startPlugin(config: Config, logger: Logger): Plugin | undefined {
  if (!config.sersync.plugin.enabled) return undefined;
  logger.info(`after each sync the plugin runs: ${config.sersync.plugin.name}`);
  return createPlugin(config.sersync.plugin.name, config, logger);
}

/** Hands synced entries of the first remote of a root to the plugin (once per change, not per remote). */
export function notifyPlugin(
  plugin: Plugin | undefined,
  target: Target,
  entries: readonly Entry[],
): void {
  if (!plugin || target.remoteIndex !== 0) return;
  for (const e of entries)
    plugin.notify(toPluginEvent({ root: target.root, path: e.path, op: e.op, isDir: e.isDir }));
}

/** Size of the fail-log file in bytes (0 when absent). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
