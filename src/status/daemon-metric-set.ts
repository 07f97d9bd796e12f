// Every metric one pipeline exports, declared once in a private Registry (metric-types.ts) (names, help,
// labels, buckets); the gauges read at scrape time get their `collect` here. Names and meaning:
// docs/status.md. Pure: no I/O, no clock; live figures come through the injected `Probes`.
import { Counter, Gauge, Histogram, Registry } from './metric-types.js';

/** Buckets of the change-seen → on-target latency, seconds: sub-second is the goal, minutes mean retries. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Buckets of one rsync run's duration, seconds. */
export const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The figures the scrape-time gauges show. */
export interface LiveValues {
  readonly pending: number;
  readonly inFlight: number;
  readonly watchCount: number;
  readonly failLogBytes: number;
  /** 1 while the service is watching, else 0. */
  readonly watching: number;
  readonly backend: string | null;
}

/** What the scrape-time gauges read. Called at each scrape: cheap, must not throw. */
export interface Probes {
  readonly live: () => LiveValues;
  /** Rebuilds the per-remote up and last-success series. */
  readonly remotes: (up: Gauge<'remote'>, lastSuccess: Gauge<'remote'>) => void;
  /** `sersync_build_info` labels besides the backend. */
  readonly build: { readonly version: string; readonly nodeVersion: string };
}

/** The pipeline's metrics. */
export interface MetricSet {
  /** This pipeline's own registry (a reload builds a new one: nothing is registered twice). */
  readonly registry: Registry;
  /** `sersync_events_total{kind}`: watcher events received, by sersync `<inotify>` kind, before filtering. */
  readonly eventsTotal: Counter<'kind'>;
  /** `sersync_rsync_runs_total{remote,result}`: rsync runs finished; result is ok, partial or failed. */
  readonly rsyncRunsTotal: Counter<'remote' | 'result'>;
  /** `sersync_rsync_items_total{remote}`: items rsync reported sent or deleted. */
  readonly rsyncItemsTotal: Counter<'remote'>;
  /** `sersync_rsync_bytes_total{remote}`: sizes (`%l`) of the files rsync sent. */
  readonly rsyncBytesTotal: Counter<'remote'>;
  /** `sersync_rsync_run_duration_seconds{remote}`: wall time of one rsync run. */
  readonly rsyncRunSeconds: Histogram<'remote'>;
  /** `sersync_sync_latency_seconds`: time from a path's first unsynced change to its successful sync. */
  readonly syncLatencySeconds: Histogram;
  /** `sersync_retries_total{remote}`: paths put back for a retry after a failed or partial run. */
  readonly retriesTotal: Counter<'remote'>;
  /** `sersync_watcher_rescans_total{reason}`: watcher losses (overflow, watch limit, lost root…) that forced a full sync. */
  readonly rescansTotal: Counter<'reason'>;
  /** `sersync_start_time_seconds`: when this pipeline started (its counters start at 0 then). */
  readonly startTime: Gauge;
}

/** Declares every pipeline metric in a fresh registry; `probes` feed the scrape-time gauges. */
export function declareMetrics(probes: Probes): MetricSet {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[],
  ) => new Histogram<L>({ name, help, buckets, labelNames, registers });
  const m: MetricSet = {
    registry,
    eventsTotal: counter(
      'sersync_events_total',
      'Watcher events received, by kind (before filtering).',
      ['kind'],
    ),
    rsyncRunsTotal: counter(
      'sersync_rsync_runs_total',
      'rsync runs finished, by remote and result (ok, partial, failed).',
      ['remote', 'result'],
    ),
    rsyncItemsTotal: counter(
      'sersync_rsync_items_total',
      'Items rsync reported sent or deleted, by remote.',
      ['remote'],
    ),
    rsyncBytesTotal: counter(
      'sersync_rsync_bytes_total',
      'Sizes of the files rsync sent (its %l, the file length), by remote.',
      ['remote'],
    ),
    rsyncRunSeconds: histogram(
      'sersync_rsync_run_duration_seconds',
      'Wall time of one rsync run, by remote.',
      RUN_BUCKETS,
      ['remote'],
    ),
    syncLatencySeconds: histogram(
      'sersync_sync_latency_seconds',
      'Time from the first unsynced change of a path seen to the end of the rsync run that put it on the target.',
      LATENCY_BUCKETS,
      [],
    ),
    retriesTotal: counter(
      'sersync_retries_total',
      'Paths requeued for a retry after a failed or partial rsync run, by remote.',
      ['remote'],
    ),
    rescansTotal: counter(
      'sersync_watcher_rescans_total',
      'Full syncs the watcher asked for after it may have lost events (overflow, watch-limit, root-lost, backend-error).',
      ['reason'],
    ),
    startTime: new Gauge({
      name: 'sersync_start_time_seconds',
      help: 'Unix time this pipeline started (at start-up or the last reload); its counters count from then.',
      registers,
    }),
  };
  scrapeTimeGauges(registers, probes);
  return m;
}

/** The gauges whose value is read from the probes at each scrape. */
function scrapeTimeGauges(registers: Registry[], probes: Probes): void {
  const live = (name: string, help: string, key: Exclude<keyof LiveValues, 'backend'>): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(probes.live()[key]);
      },
    });
  };
  live(
    'sersync_queue_pending_paths',
    'Paths waiting to be synced (queued or waiting for a retry).',
    'pending',
  );
  live('sersync_rsync_in_flight', 'rsync runs in progress.', 'inFlight');
  live('sersync_watches', 'Directories currently watched.', 'watchCount');
  live('sersync_fail_log_bytes', 'Size of the fail-log file in bytes.', 'failLogBytes');
  live(
    'sersync_watching',
    '1 while every root is watched and changes are synced, else 0.',
    'watching',
  );
  const up: Gauge<'remote'> = new Gauge({
    name: 'sersync_remote_up',
    help: '1 when the last rsync run to the remote succeeded (or none ran yet), 0 while it fails.',
    labelNames: ['remote'],
    registers,
    collect: () => {
      probes.remotes(up, last);
    },
  });
  const last: Gauge<'remote'> = new Gauge({
    name: 'sersync_remote_last_success_timestamp_seconds',
    help: 'Unix time of the last successful rsync run to the remote.',
    labelNames: ['remote'],
    registers,
    collect: () => {
      probes.remotes(up, last);
    },
  });
  new Gauge({
    name: 'sersync_build_info',
    help: 'Always 1; the labels say which sersync, Node.js and watcher backend run.',
    labelNames: ['version', 'node_version', 'backend'],
    registers,
    collect() {
      this.reset();
      const { version, nodeVersion } = probes.build;
      this.set({ version, node_version: nodeVersion, backend: probes.live().backend ?? 'none' }, 1);
    },
  });
}
