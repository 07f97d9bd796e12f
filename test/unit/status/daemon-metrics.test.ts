// The daemon's metrics helpers: what each call changes in /metrics, /status and /healthz.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from '../../../src/status/metric-types.js';
import { createDaemonMetrics, type LiveFigures } from '../../../src/status/daemon-metrics.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';

const A = { label: '127.0.0.1::mod', root: '/data' };
const B = { label: 'web@127.0.0.1::www', root: '/www' };
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

function setup(live: Partial<LiveFigures> = {}, shared?: Registry) {
  const figures: LiveFigures = {
    pending: 0,
    inFlight: 0,
    watchCount: 3,
    backend: 'inotify',
    failLogBytes: 0,
    ...live,
  };
  const dm = createDaemonMetrics({
    startedAt: T0,
    roots: ['/data', '/www'],
    remotes: [A, B],
    probe: () => figures,
    graceMs: 30_000,
    build: { version: '1.2.3', nodeVersion: 'v20.0.0' },
    ...(shared ? { shared } : {}),
  });
  const scrape = async () => parsePrometheusText(await dm.registry.metrics());
  return { dm, figures, scrape };
}

test('every known series exists at 0 before anything happens, and the text parses strictly', async () => {
  const { scrape } = setup();
  const m = await scrape();
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'closeWrite' }), 0);
  assert.equal(
    sampleValue(m, 'sersync_rsync_runs_total', { remote: A.label, result: 'failed' }),
    0,
  );
  assert.equal(sampleValue(m, 'sersync_watcher_rescans_total', { reason: 'overflow' }), 0);
  assert.equal(sampleValue(m, 'sersync_retries_total', { remote: B.label }), 0);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_count'), 0);
  assert.equal(sampleValue(m, 'sersync_start_time_seconds'), T0 / 1000);
  assert.equal(sampleValue(m, 'sersync_watching'), 0);
});

test('events, runs, retries, rescans and latency are counted', async () => {
  const { dm, scrape } = setup();
  dm.setState('watching');
  dm.recordEvents([{ kind: 'create' }, { kind: 'closeWrite' }, { kind: 'closeWrite' }]);
  dm.recordRun(A, { kind: 'ok' }, T0 + 1000, { durationMs: 150, items: 3, bytes: 4096 });
  dm.recordRun(A, { kind: 'partial', failedPaths: ['x'] }, T0 + 2000);
  dm.recordRetry(A, 1);
  dm.recordRescan('overflow');
  dm.recordSynced([T0, T0 + 500], T0 + 1000);
  const m = await scrape();
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'closeWrite' }), 2);
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'create' }), 1);
  assert.equal(sampleValue(m, 'sersync_rsync_runs_total', { remote: A.label, result: 'ok' }), 1);
  assert.equal(
    sampleValue(m, 'sersync_rsync_runs_total', { remote: A.label, result: 'partial' }),
    1,
  );
  assert.equal(sampleValue(m, 'sersync_rsync_items_total', { remote: A.label }), 3);
  assert.equal(sampleValue(m, 'sersync_rsync_bytes_total', { remote: A.label }), 4096);
  assert.equal(
    sampleValue(m, 'sersync_rsync_run_duration_seconds_bucket', { remote: A.label, le: '0.25' }),
    1,
  );
  assert.equal(sampleValue(m, 'sersync_retries_total', { remote: A.label }), 1);
  assert.equal(sampleValue(m, 'sersync_watcher_rescans_total', { reason: 'overflow' }), 1);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_count'), 2);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_sum'), 1.5);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_bucket', { le: '0.5' }), 1);
  assert.equal(sampleValue(m, 'sersync_remote_up', { remote: A.label }), 0);
  assert.equal(sampleValue(m, 'sersync_remote_up', { remote: B.label }), 1);
  assert.equal(
    sampleValue(m, 'sersync_remote_last_success_timestamp_seconds', { remote: A.label }),
    (T0 + 1000) / 1000,
  );
  assert.equal(
    sampleValue(m, 'sersync_remote_last_success_timestamp_seconds', { remote: B.label }),
    undefined,
  );
  assert.equal(sampleValue(m, 'sersync_watching'), 1);
});

test('live figures are read at each scrape and each status()', async () => {
  const { dm, figures, scrape } = setup();
  Object.assign(figures, { pending: 12, inFlight: 2, watchCount: 40, failLogBytes: 321 });
  const m = await scrape();
  assert.equal(sampleValue(m, 'sersync_queue_pending_paths'), 12);
  assert.equal(sampleValue(m, 'sersync_rsync_in_flight'), 2);
  assert.equal(sampleValue(m, 'sersync_watches'), 40);
  assert.equal(sampleValue(m, 'sersync_fail_log_bytes'), 321);
  const s = dm.status();
  assert.deepEqual(
    [s.pending, s.inFlight, s.watchCount, s.failLogBytes, s.backend],
    [12, 2, 40, 321, 'inotify'],
  );
});

test('status() tracks failures, streaks and the last success per remote', () => {
  const { dm } = setup();
  dm.recordRun(A, { kind: 'ok' }, T0 + 1000);
  dm.recordRun(
    A,
    { kind: 'failed', reason: 'exit 10: error in socket IO\n  (code 10)' },
    T0 + 2000,
  );
  dm.recordRun(A, { kind: 'failed', reason: 'exit 10' }, T0 + 3000);
  const s = dm.status();
  assert.equal(s.startedAt, '2026-01-31T12:00:00.000Z');
  assert.deepEqual(s.roots, ['/data', '/www']);
  assert.deepEqual(s.remotes[0], {
    label: A.label,
    root: '/data',
    failures: 2,
    consecutiveFailures: 2,
    lastSuccessAt: '2026-01-31T12:00:01.000Z',
    lastFailureAt: '2026-01-31T12:00:03.000Z',
    failingSince: '2026-01-31T12:00:02.000Z',
    lastError: 'exit 10',
    lastWarning: null,
  });
  dm.recordRun(A, { kind: 'ok' }, T0 + 4000);
  const r = dm.status().remotes[0]!;
  assert.equal(r.consecutiveFailures, 0);
  assert.equal(r.failingSince, null);
  assert.equal(r.failures, 2);
  assert.equal(r.lastSuccessAt, '2026-01-31T12:00:04.000Z');
});

test('a long error is kept to one bounded line', () => {
  const { dm } = setup();
  dm.recordRun(B, { kind: 'failed', reason: `line one\nline two ${'x'.repeat(500)}` }, T0);
  const e = dm.status().remotes[1]?.lastError ?? '';
  assert.ok(!e.includes('\n'));
  assert.ok(e.startsWith('line one line two'));
  assert.equal(e.length, 200);
});

test('health: starting is unhealthy; a failing remote turns it unhealthy only after the grace period', () => {
  const { dm } = setup();
  assert.deepEqual(dm.health(T0), { ok: false, reason: 'not watching (starting)' });
  dm.setState('watching');
  assert.equal(dm.health(T0).ok, true);
  dm.recordRun(B, { kind: 'failed', reason: 'exit 5: auth failed' }, T0 + 1000);
  assert.equal(dm.health(T0 + 30_999).ok, true);
  const h = dm.health(T0 + 31_000);
  assert.equal(h.ok, false);
  assert.match(
    h.reason,
    /web@127\.0\.0\.1::www failing for 30 s \(1 run\(s\)\): exit 5: auth failed/,
  );
  dm.recordRun(B, { kind: 'ok' }, T0 + 32_000);
  assert.equal(dm.health(T0 + 33_000).ok, true);
  dm.setState('draining');
  assert.equal(dm.health(T0 + 33_000).ok, false);
});

test('source() hands the server a status, a health check at the current time and the registry', () => {
  const { dm } = setup();
  dm.setState('watching');
  dm.recordRun(A, { kind: 'failed', reason: 'down' }, T0);
  let now = T0;
  const src = dm.source(() => now);
  assert.equal(src.health().ok, true);
  now = T0 + 60_000;
  assert.equal(src.health().ok, false);
  assert.equal(src.metrics, dm.exposition);
  assert.equal(dm.exposition, dm.registry, 'without a shared registry: the own one');
  assert.equal(src.status().remotes.length, 2);
});

test('sersync_build_info is 1 with the version, the Node.js version and the backend of the moment', async () => {
  const { figures, scrape } = setup({ backend: null });
  const info = (m: Awaited<ReturnType<typeof scrape>>) =>
    m.get('sersync_build_info')?.samples.map((x) => [x.labels, x.value]);
  assert.deepEqual(info(await scrape()), [
    [{ version: '1.2.3', node_version: 'v20.0.0', backend: 'none' }, 1],
  ]);
  Object.assign(figures, { backend: 'parcel' });
  assert.deepEqual(info(await scrape()), [
    [{ version: '1.2.3', node_version: 'v20.0.0', backend: 'parcel' }, 1],
  ]);
});

test("a shared registry is served beside each pipeline's own; a second pipeline registers nothing twice", async () => {
  const shared = new Registry();
  const reloads = new Gauge({ name: 'shared_gauge', help: 'h', registers: [shared] });
  reloads.set(7);
  const first = setup({}, shared);
  first.dm.recordRun(A, { kind: 'ok' }, T0, { items: 5 });
  const second = setup({}, shared); // what a SIGHUP reload builds
  for (const { dm } of [first, second]) {
    const m = parsePrometheusText(await dm.exposition.metrics());
    assert.equal(sampleValue(m, 'shared_gauge'), 7);
    assert.ok(m.has('sersync_rsync_items_total'));
  }
  const m2 = parsePrometheusText(await second.dm.exposition.metrics());
  assert.equal(sampleValue(m2, 'sersync_rsync_items_total', { remote: A.label }), 0);
  assert.equal(
    (await shared.metrics()).includes('sersync_'),
    false,
    'the shared registry keeps only its own metrics',
  );
});

test('label values with quotes, backslashes and line feeds survive the exposition', async () => {
  const odd = { label: 'u@127.0.0.1::a"b\\c\nd', root: '/data' };
  const dm = createDaemonMetrics({
    startedAt: T0,
    roots: ['/data'],
    remotes: [odd],
    probe: () => ({ pending: 0, inFlight: 0, watchCount: 0, backend: null, failLogBytes: 0 }),
  });
  dm.recordRun(odd, { kind: 'ok' }, T0, { bytes: 9 });
  const m = parsePrometheusText(await dm.registry.metrics());
  assert.equal(sampleValue(m, 'sersync_rsync_bytes_total', { remote: odd.label }), 9);
  assert.equal(sampleValue(m, 'sersync_remote_up', { remote: odd.label }), 1);
});
