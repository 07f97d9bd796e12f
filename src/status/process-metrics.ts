// The metrics of the process rather than of one pipeline: the standard Node and process metrics
// (memory, CPU, file descriptors, heap; metric-process.ts, read at a scrape) and the outcome of the
// last config reload. One registry per process, created on first use (a pipeline with the status endpoint on),
// so a SIGHUP reload (a new pipeline, a new pipeline registry) never registers them twice, and a
// service without the endpoint never declares them. Shell: the process metrics read /proc.
import { registerProcessMetrics } from './metric-process.js';
import { Gauge, Registry } from './metric-types.js';

export interface ProcessMetrics {
  /** Served on /metrics beside each pipeline's own registry. */
  readonly registry: Registry;
  /** As the module's recordConfigLoad. */
  recordConfigLoad(ok: boolean, now: number): void;
}

/** The last (re)load, kept while no registry exists; applied when one is created. */
const lastLoad: { ok?: boolean; successAt?: number } = {};
let shared: (ProcessMetrics & { apply(): void }) | undefined;

/**
 * The configuration was loaded (`ok`: at start-up, or a SIGHUP reload whose pipeline started)
 * or a reload was refused (a bad file, or a pipeline that could not start: the old one runs on).
 * `now` in epoch ms. Creates nothing: the figures show once the registry exists.
 */
export function recordConfigLoad(ok: boolean, now: number): void {
  lastLoad.ok = ok;
  if (ok) lastLoad.successAt = now;
  shared?.apply();
}

/** The process's metrics, created (and the default metrics started) on the first call. */
export function processMetrics(): ProcessMetrics {
  shared ??= createProcessMetrics();
  return shared;
}

function createProcessMetrics(): ProcessMetrics & { apply(): void } {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const registers = [registry];
  const successful = new Gauge({
    name: 'sersync_config_last_reload_successful',
    help: 'Whether the last configuration (re)load succeeded (1) or was refused and the previous configuration runs on (0).',
    registers,
  });
  const successAt = new Gauge({
    name: 'sersync_config_last_reload_success_timestamp_seconds',
    help: 'Unix time of the last successful configuration load (start-up or SIGHUP reload).',
    registers,
  });
  const apply = (): void => {
    if (lastLoad.ok !== undefined) successful.set(lastLoad.ok ? 1 : 0);
    if (lastLoad.successAt !== undefined) successAt.set(lastLoad.successAt / 1000);
  };
  apply();
  return { registry, recordConfigLoad, apply };
}
