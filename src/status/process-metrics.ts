// The metrics of the process rather than of one pipeline: prom-client's default Node and process
// metrics (memory, CPU, file descriptors, event-loop lag, GC) and the outcome of the last config
// reload. One registry per process, created on first use (a pipeline with the status endpoint on),
// so a SIGHUP reload (a new pipeline, a new pipeline registry) never registers them twice, and a
// service without the endpoint never runs the default collectors (the event-loop delay histogram,
// ~1 MB, and its 10 ms timer). Shell: the default metrics read /proc.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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
  collectDefaultMetrics({ register: registry });
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
