// The metrics of the process rather than of one pipeline: prom-client's default Node and process
// metrics (memory, CPU, file descriptors, event-loop lag, GC) and the outcome of the last config
// reload. One registry per process, created on first use, so a SIGHUP reload (a new pipeline, a
// new pipeline registry) never registers them twice. Shell: the default metrics read /proc.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface ProcessMetrics {
  /** Served on /metrics beside each pipeline's own registry. */
  readonly registry: Registry;
  /**
   * The configuration was loaded (`ok`: at start-up, or a SIGHUP reload whose pipeline started)
   * or a reload was refused (a bad file, or a pipeline that could not start: the old one runs on).
   * `now` in epoch ms.
   */
  recordConfigLoad(ok: boolean, now: number): void;
}

let shared: ProcessMetrics | undefined;

/** The process's metrics, created (and the default metrics started) on the first call. */
export function processMetrics(): ProcessMetrics {
  shared ??= createProcessMetrics();
  return shared;
}

function createProcessMetrics(): ProcessMetrics {
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
  return {
    registry,
    recordConfigLoad(ok, now) {
      successful.set(ok ? 1 : 0);
      if (ok) successAt.set(now / 1000);
    },
  };
}
