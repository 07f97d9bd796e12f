// The daemon's metric names and the helpers it calls as things happen (events, rsync runs,
// retries, rescans, synced paths); keeps the per-remote state behind /status and /healthz.
// Pure: time comes in as `now` arguments, live figures through an injected `probe`.
import type { BatchOutcome } from '../queue/types.js';
import { FS_EVENT_KINDS, type FsEvent, type RescanReason } from '../watch/fs-event.js';
import {
  createRegistry,
  type Counter,
  type Gauge,
  type Histogram,
  type MetricsRegistry,
} from './metrics.js';
import {
  assessHealth,
  type Health,
  type RemoteStatus,
  type ServiceState,
  type StatusReport,
  type StatusSource,
} from './report.js';

/** One remote of one root, as the daemon names it (`remoteLabel()` in daemon-support.ts). */
export interface RemoteRef {
  readonly label: string;
  readonly root: string;
}

/** Figures read at scrape time (the daemon's closure over its scheduler, watcher and fail log). */
export interface LiveFigures {
  readonly pending: number;
  readonly inFlight: number;
  readonly watchCount: number;
  readonly backend: string | null;
  readonly failLogBytes: number;
}

export interface DaemonMetricsOptions {
  /** Epoch ms the service started. */
  readonly startedAt: number;
  readonly roots: readonly string[];
  /** Every target; their series exist (at 0) from the start so rates and alerts work at once. */
  readonly remotes: readonly RemoteRef[];
  /** Called at each /status and /metrics request. Must be cheap and must not throw. */
  readonly probe: () => LiveFigures;
  /** See HealthOptions.graceMs. */
  readonly graceMs?: number;
}

/** Optional figures about one rsync run. */
export interface RunDetail {
  readonly durationMs?: number;
  /** Items rsync reported through --out-format (RunResult.itemsReported). */
  readonly items?: number;
  /** File bytes sent, when the runner knows them. */
  readonly bytes?: number;
}

/** Buckets of the write→synced latency, seconds: sub-second is the goal, minutes mean retries. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;
/** Buckets of one rsync run's duration, seconds. */
export const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

const RESCAN_REASONS: Readonly<Record<RescanReason, true>> = {
  overflow: true,
  'watch-limit': true,
  'root-lost': true,
  'backend-error': true,
};
const RUN_RESULTS: Readonly<Record<BatchOutcome['kind'], true>> = {
  ok: true,
  partial: true,
  failed: true,
};

/** The metrics the daemon feeds, plus the status/health view built from them. */
export interface DaemonMetrics {
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

  setState(state: ServiceState): void;
  /** Counts a batch of watcher events by kind. */
  recordEvents(events: readonly Pick<FsEvent, 'kind'>[]): void;
  /** Records how one rsync run for `remote` ended; drives failures / lastSuccessAt / health. */
  recordRun(remote: RemoteRef, outcome: BatchOutcome, now: number, detail?: RunDetail): void;
  /** Counts `paths` paths requeued for a retry on `remote`. */
  recordRetry(remote: RemoteRef, paths: number): void;
  /** Counts a watcher loss that forced a full sync. */
  recordRescan(reason: RescanReason): void;
  /** Observes write→synced latency for each path, given when each was first changed (epoch ms). */
  recordSynced(changedAt: readonly number[], now: number): void;
  /** The /status document. */
  status(): StatusReport;
  /** The /healthz verdict at `now`. */
  health(now: number): Health;
  /** The three things the status server needs; `now` is read at each request. */
  source(now: () => number): StatusSource;
}

interface RemoteState {
  readonly ref: RemoteRef;
  failures: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  failingSince: number | null;
  lastError: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const key = (r: RemoteRef): string => `${r.root}\u0000${r.label}`;
/** One line, bounded: a status field and a health reason must stay readable. */
const oneLine = (s: string): string => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
};

/** Declares every daemon metric in a fresh registry and returns the feeding helpers. */
export function createDaemonMetrics(opts: DaemonMetricsOptions): DaemonMetrics {
  const registry = createRegistry();
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

  let state: ServiceState = 'starting';
  const remotes = new Map<string, RemoteState>();
  const remoteState = (ref: RemoteRef): RemoteState => {
    let s = remotes.get(key(ref));
    if (s === undefined) {
      s = {
        ref: { label: ref.label, root: ref.root },
        failures: 0,
        consecutiveFailures: 0,
        lastSuccessAt: null,
        lastFailureAt: null,
        failingSince: null,
        lastError: null,
      };
      remotes.set(key(ref), s);
      for (const result of Object.keys(RUN_RESULTS))
        rsyncRunsTotal.inc({ remote: ref.label, result }, 0);
      for (const c of [rsyncItemsTotal, rsyncBytesTotal, retriesTotal])
        c.inc({ remote: ref.label }, 0);
    }
    return s;
  };
  for (const kind of FS_EVENT_KINDS) eventsTotal.inc({ kind }, 0);
  for (const reason of Object.keys(RESCAN_REASONS)) overflowsTotal.inc({ reason }, 0);
  for (const r of opts.remotes) remoteState(r);
  startTime.set({}, Math.floor(opts.startedAt / 1000));

  const status = (): StatusReport => {
    const live = opts.probe();
    return {
      state,
      startedAt: new Date(opts.startedAt).toISOString(),
      roots: [...opts.roots],
      backend: live.backend,
      watchCount: live.watchCount,
      pending: live.pending,
      inFlight: live.inFlight,
      remotes: [...remotes.values()].map((s): RemoteStatus => ({
        label: s.ref.label,
        root: s.ref.root,
        failures: s.failures,
        consecutiveFailures: s.consecutiveFailures,
        lastSuccessAt: iso(s.lastSuccessAt),
        lastFailureAt: iso(s.lastFailureAt),
        failingSince: iso(s.failingSince),
        lastError: s.lastError,
      })),
      failLogBytes: live.failLogBytes,
    };
  };

  registry.onCollect(() => {
    const live = opts.probe();
    queueDepth.set({}, live.pending);
    inFlight.set({}, live.inFlight);
    watches.set({}, live.watchCount);
    failLogBytes.set({}, live.failLogBytes);
    watching.set({}, state === 'watching' ? 1 : 0);
    // Two roots may push to the same remote label: the label is up only when both are.
    const up = new Map<string, number>();
    const last = new Map<string, number>();
    for (const s of remotes.values()) {
      const l = s.ref.label;
      up.set(l, Math.min(up.get(l) ?? 1, s.consecutiveFailures === 0 ? 1 : 0));
      if (s.lastSuccessAt !== null) last.set(l, Math.max(last.get(l) ?? 0, s.lastSuccessAt / 1000));
    }
    remoteUp.reset();
    lastSuccess.reset();
    for (const [remote, v] of up) remoteUp.set({ remote }, v);
    for (const [remote, v] of last) lastSuccess.set({ remote }, v);
  });

  const dm: DaemonMetrics = {
    registry,
    eventsTotal,
    rsyncRunsTotal,
    rsyncItemsTotal,
    rsyncBytesTotal,
    rsyncRunSeconds,
    queueDepth,
    inFlight,
    syncLatencySeconds,
    retriesTotal,
    overflowsTotal,
    setState(s) {
      state = s;
    },
    recordEvents(events) {
      // Counted per kind first: one labelled increment per kind and batch, not per event.
      const counts = new Map<FsEvent['kind'], number>();
      for (const ev of events) counts.set(ev.kind, (counts.get(ev.kind) ?? 0) + 1);
      for (const [kind, n] of counts) eventsTotal.inc({ kind }, n);
    },
    recordRun(remote, outcome, now, detail = {}) {
      const s = remoteState(remote);
      rsyncRunsTotal.inc({ remote: remote.label, result: outcome.kind });
      if (detail.items !== undefined) rsyncItemsTotal.inc({ remote: remote.label }, detail.items);
      if (detail.bytes !== undefined) rsyncBytesTotal.inc({ remote: remote.label }, detail.bytes);
      if (detail.durationMs !== undefined)
        rsyncRunSeconds.observe({ remote: remote.label }, detail.durationMs / 1000);
      if (outcome.kind === 'ok') {
        s.consecutiveFailures = 0;
        s.failingSince = null;
        s.lastSuccessAt = now;
        return;
      }
      s.failures++;
      s.consecutiveFailures++;
      s.failingSince ??= now;
      s.lastFailureAt = now;
      s.lastError = oneLine(
        outcome.kind === 'failed'
          ? outcome.reason
          : `partial: ${outcome.failedPaths.length} path(s) failed`,
      );
    },
    recordRetry(remote, paths) {
      remoteState(remote);
      retriesTotal.inc({ remote: remote.label }, paths);
    },
    recordRescan(reason) {
      overflowsTotal.inc({ reason });
    },
    recordSynced(changedAt, now) {
      for (const t of changedAt) syncLatencySeconds.observe({}, Math.max(0, now - t) / 1000);
    },
    status,
    health: (now) =>
      assessHealth(status(), now, opts.graceMs === undefined ? {} : { graceMs: opts.graceMs }),
    source: (now) => ({ status, health: () => dm.health(now()), metrics: registry }),
  };
  return dm;
}
