// The daemon's metric names and the helpers it calls as things happen (events, rsync runs,
// retries, rescans, synced paths); keeps the per-remote state behind /status and /healthz.
// Pure: time comes in as `now` arguments, live figures through an injected `probe`.
import { Registry } from './metric-types.js';
import type { BatchOutcome } from '../queue/types.js';
import { FS_EVENT_KINDS, type FsEvent, type RescanReason } from '../watch/fs-event.js';
import { declareMetrics, type MetricSet } from './daemon-metric-set.js';
import { createRemoteBook, type RemoteRef } from './remote-book.js';
import {
  assessHealth,
  type Health,
  type RootState,
  type ServiceState,
  type StatusReport,
  type StatusSource,
} from './report.js';

export type { RemoteRef } from './remote-book.js';

/** Figures read at scrape time (the daemon's closure over its scheduler, watcher and fail log). */
export interface LiveFigures {
  readonly pending: number;
  readonly inFlight: number;
  readonly watchCount: number;
  readonly backend: string | null;
  readonly failLogBytes: number;
  /** Each root's state (absent: every root watched, no problem). */
  readonly roots?: readonly RootState[];
}

export interface DaemonMetricsOptions {
  /** Epoch ms the service started. */
  readonly startedAt: number;
  readonly roots: readonly string[];
  /** Every target; their series exist (at 0) from the start so rates and alerts work at once. */
  readonly remotes: readonly RemoteRef[];
  /** Called at each /status request and by each live gauge at a scrape. Must be cheap and must not throw. */
  readonly probe: () => LiveFigures;
  /** See HealthOptions.graceMs. */
  readonly graceMs?: number;
  /** `sersync_build_info` labels besides the backend (read once: they do not change). */
  readonly build?: { readonly version: string; readonly nodeVersion: string };
  /**
   * The process-wide registry (Node and process metrics, config reloads) served with this
   * pipeline's metrics on /metrics. It outlives the pipeline; nothing is registered in it here.
   */
  readonly shared?: Registry;
}

/** Optional figures about one rsync run. */
export interface RunDetail {
  readonly durationMs?: number;
  /** Items rsync reported through --out-format (RunResult.itemsReported). */
  readonly items?: number;
  /** File bytes sent, when the runner knows them. */
  readonly bytes?: number;
}

export { LATENCY_BUCKETS, RUN_BUCKETS } from './daemon-metric-set.js';

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
export interface DaemonMetrics extends MetricSet {
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
  /** What GET /metrics serves: `shared` and this pipeline's registry together. */
  readonly exposition: Registry;
}

/** Declares every daemon metric in a fresh registry and returns the feeding helpers. */
export function createDaemonMetrics(opts: DaemonMetricsOptions): DaemonMetrics {
  let state: ServiceState = 'starting';
  const book = createRemoteBook((ref) => {
    for (const result of Object.keys(RUN_RESULTS))
      m.rsyncRunsTotal.inc({ remote: ref.label, result }, 0);
    for (const c of [m.rsyncItemsTotal, m.rsyncBytesTotal, m.retriesTotal])
      c.inc({ remote: ref.label }, 0);
    m.rsyncRunSeconds.zero({ remote: ref.label });
  });
  const m = declareMetrics({
    live: () => ({ ...opts.probe(), watching: state === 'watching' ? 1 : 0 }),
    remotes: (up, last) => {
      book.collect(up, last);
    },
    build: opts.build ?? { version: 'unknown', nodeVersion: 'unknown' },
  });
  for (const kind of FS_EVENT_KINDS) m.eventsTotal.inc({ kind }, 0);
  for (const reason of Object.keys(RESCAN_REASONS)) m.rescansTotal.inc({ reason }, 0);
  for (const r of opts.remotes) book.get(r);
  m.startTime.set(Math.floor(opts.startedAt / 1000));
  const exposition = opts.shared ? Registry.merge([opts.shared, m.registry]) : m.registry;

  const status = (): StatusReport => {
    const live = opts.probe();
    return {
      state,
      startedAt: new Date(opts.startedAt).toISOString(),
      roots: [...opts.roots],
      rootStates:
        live.roots ?? opts.roots.map((root) => ({ root, state: 'watching', problem: null })),
      backend: live.backend,
      watchCount: live.watchCount,
      pending: live.pending,
      inFlight: live.inFlight,
      remotes: book.statuses(),
      failLogBytes: live.failLogBytes,
    };
  };
  const dm: DaemonMetrics = {
    ...m,
    setState(s) {
      state = s;
    },
    recordEvents(events) {
      // Counted per kind first: one labelled increment per kind and batch, not per event.
      const counts = new Map<FsEvent['kind'], number>();
      for (const ev of events) counts.set(ev.kind, (counts.get(ev.kind) ?? 0) + 1);
      for (const [kind, n] of counts) m.eventsTotal.inc({ kind }, n);
    },
    recordRun(remote, outcome, now, detail = {}) {
      book.get(remote);
      const l = { remote: remote.label };
      m.rsyncRunsTotal.inc({ ...l, result: outcome.kind });
      if (detail.items !== undefined) m.rsyncItemsTotal.inc(l, detail.items);
      if (detail.bytes !== undefined) m.rsyncBytesTotal.inc(l, detail.bytes);
      if (detail.durationMs !== undefined) m.rsyncRunSeconds.observe(l, detail.durationMs / 1000);
      book.recordRun(remote, outcome, now);
    },
    recordRetry(remote, paths) {
      book.get(remote);
      m.retriesTotal.inc({ remote: remote.label }, paths);
    },
    recordRescan(reason) {
      m.rescansTotal.inc({ reason });
    },
    recordSynced(changedAt, now) {
      for (const t of changedAt) m.syncLatencySeconds.observe(Math.max(0, now - t) / 1000);
    },
    status,
    health: (now) =>
      assessHealth(status(), now, opts.graceMs === undefined ? {} : { graceMs: opts.graceMs }),
    source: (now) => ({ status, health: () => dm.health(now()), metrics: exposition }),
    exposition,
  };
  return dm;
}
