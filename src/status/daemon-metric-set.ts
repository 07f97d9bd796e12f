// Every metric the daemon exports, declared once in a fresh registry (names, help, labels,
// buckets). Pure.
import {
  createRegistry,
  type Counter,
  type Gauge,
  type Histogram,
  type MetricsRegistry,
} from './metrics.js';

/** Buckets of the write→synced latency, seconds: sub-second is the goal, minutes mean retries. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;
/** Buckets of one rsync run's duration, seconds. */
export const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

/** The daemon's metrics; the last six are gauges set from the live figures at scrape time. */
export interface MetricSet {
  readonly registry: MetricsRegistry;
  /** `sersync_events_total{kind}`: watcher events received, by sersync `<inotify>` kind, before filtering. */
  readonly eventsTotal: Counter<'kind'>;
  /** `sersync_rsync_runs_total{remote,result}`: rsync runs finished; result is ok, partial or failed. */
  readonly rsyncRunsTotal: Counter<'remote' | 'result'>;
  /** `sersync_rsync_items_total{remote}`: items rsync reported transferred or deleted. */
  readonly rsyncItemsTotal: Counter<'remote'>;
  /** `sersync_rsync_bytes_total{remote}`: file bytes sent; stays 0 while the runner does not report bytes. */
  readonly rsyncBytesTotal: Counter<'remote'>;
  /** `sersync_rsync_run_duration_seconds{remote}`: wall time of one rsync run. */
  readonly rsyncRunSeconds: Histogram<'remote'>;
  /** `sersync_queue_pending_paths`: paths waiting to be synced (queued or waiting for a retry). Read at scrape. */
  readonly queueDepth: Gauge;
  /** `sersync_rsync_in_flight`: rsync runs in progress. Read at scrape. */
  readonly inFlight: Gauge;
  /** `sersync_sync_latency_seconds`: time from a path's first unsynced change to its successful sync. */
  readonly syncLatencySeconds: Histogram;
  /** `sersync_retries_total{remote}`: paths put back for a retry after a failed or partial run. */
  readonly retriesTotal: Counter<'remote'>;
  /** `sersync_overflows_total{reason}`: watcher losses (queue overflow, watch limit…) that forced a full sync. */
  readonly overflowsTotal: Counter<'reason'>;
  readonly watches: Gauge;
  readonly failLogBytes: Gauge;
  readonly watching: Gauge;
  readonly remoteUp: Gauge<'remote'>;
  readonly lastSuccess: Gauge<'remote'>;
  readonly startTime: Gauge;
}

/** Declares every daemon metric in a fresh registry. */
export function declareMetrics(): MetricSet {
  const registry = createRegistry();
  return { registry, ...eventAndRunMetrics(registry), ...serviceMetrics(registry) };
}

/** Counters of watcher events and rsync runs. */
function eventAndRunMetrics(registry: MetricsRegistry) {
  const eventsTotal = registry.counter(
    'sersync_events_total',
    'Watcher events received, by kind (before filtering).',
    ['kind'],
  );
  const rsyncRunsTotal = registry.counter(
    'sersync_rsync_runs_total',
    'rsync runs finished, by remote and result (ok, partial, failed).',
    ['remote', 'result'],
  );
  const rsyncItemsTotal = registry.counter(
    'sersync_rsync_items_total',
    'Items rsync reported sent or deleted, by remote.',
    ['remote'],
  );
  const rsyncBytesTotal = registry.counter(
    'sersync_rsync_bytes_total',
    'File bytes sent by rsync, by remote (0 until the runner reports bytes).',
    ['remote'],
  );
  const rsyncRunSeconds = registry.histogram(
    'sersync_rsync_run_duration_seconds',
    'Wall time of one rsync run, by remote.',
    RUN_BUCKETS,
    ['remote'],
  );
  return { eventsTotal, rsyncRunsTotal, rsyncItemsTotal, rsyncBytesTotal, rsyncRunSeconds };
}

/** The queue, latency, retry, watcher and remote-health metrics. */
function serviceMetrics(registry: MetricsRegistry) {
  const queueDepth = registry.gauge(
    'sersync_queue_pending_paths',
    'Paths waiting to be synced (queued or waiting for a retry).',
  );
  const inFlight = registry.gauge('sersync_rsync_in_flight', 'rsync runs in progress.');
  const syncLatencySeconds = registry.histogram(
    'sersync_sync_latency_seconds',
    'Time from the first unsynced change of a path to its successful sync.',
    LATENCY_BUCKETS,
  );
  const retriesTotal = registry.counter(
    'sersync_retries_total',
    'Paths requeued for a retry after a failed or partial rsync run, by remote.',
    ['remote'],
  );
  const overflowsTotal = registry.counter(
    'sersync_overflows_total',
    'Watcher losses (event queue overflow, watch limit, lost root) that forced a full sync, by reason.',
    ['reason'],
  );
  const watches = registry.gauge('sersync_watches', 'Directories currently watched.');
  const failLogBytes = registry.gauge(
    'sersync_fail_log_bytes',
    'Size of the fail-log file in bytes.',
  );
  const watching = registry.gauge(
    'sersync_watching',
    '1 while every root is watched and changes are synced, else 0.',
  );
  const remoteUp = registry.gauge(
    'sersync_remote_up',
    '1 when the last rsync run to the remote succeeded (or none ran yet), 0 while it fails.',
    ['remote'],
  );
  const lastSuccess = registry.gauge(
    'sersync_remote_last_success_timestamp_seconds',
    'Unix time of the last successful rsync run to the remote.',
    ['remote'],
  );
  const startTime = registry.gauge('sersync_start_time_seconds', 'Unix time the service started.');

  return {
    queueDepth,
    inFlight,
    syncLatencySeconds,
    retriesTotal,
    overflowsTotal,
    watches,
    failLogBytes,
    watching,
    remoteUp,
    lastSuccess,
    startTime,
  };
}
