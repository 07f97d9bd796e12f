// The status endpoint over real HTTP on 127.0.0.1: /healthz, /status and /metrics follow what the
// daemon feeds; loopback-only binding, port conflicts, secrets and probe bugs.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { after, test } from 'node:test';
import { memoryLogger } from '../helpers/memory-logger.js';
import { createDaemonMetrics, type LiveFigures } from '../../src/status/daemon-metrics.js';
import { Gauge, Registry } from '../../src/status/metric-types.js';
import {
  startStatusServer,
  type StatusServer,
  type StatusSource,
} from '../../src/status/status-server.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
const REMOTE = { label: 'backup@127.0.0.1::data', root: '/srv/data' };
const servers: StatusServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(source: StatusSource, extra: { secrets?: string[] } = {}) {
  const logger = memoryLogger();
  const r = await startStatusServer({ host: '127.0.0.1', port: 0, source, logger, ...extra });
  if (!r.ok) throw new Error(r.error.message);
  servers.push(r.value);
  const base = `http://127.0.0.1:${r.value.port}`;
  return { server: r.value, logger, base };
}

function fixture() {
  const figures: LiveFigures = {
    pending: 0,
    inFlight: 0,
    watchCount: 5,
    backend: 'inotify',
    failLogBytes: 0,
  };
  const dm = createDaemonMetrics({
    startedAt: T0,
    roots: ['/srv/data'],
    remotes: [REMOTE],
    probe: () => figures,
    graceMs: 10_000,
  });
  const clock = { now: T0 };
  return { dm, figures, clock, source: dm.source(() => clock.now) };
}

test('the three endpoints answer and follow what the daemon feeds', async () => {
  const { dm, figures, clock, source } = fixture();
  const { base, logger, server } = await start(source);
  assert.ok(
    logger.lines.some(
      (l) =>
        l ===
        `[info] status endpoint on http://127.0.0.1:${server.port} (/healthz /status /metrics)`,
    ),
  );

  // Starting: not healthy yet.
  let res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 503);
  assert.equal(await res.text(), 'not watching (starting)\n');

  dm.setState('watching');
  res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /^ok: watching 1 root\(s\), 1 remote\(s\) reachable\n$/);

  // /metrics before and after feeding.
  res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  let m = parsePrometheusText(await res.text());
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'closeWrite' }), 0);
  assert.equal(sampleValue(m, 'sersync_queue_pending_paths'), 0);

  dm.recordEvents([{ kind: 'closeWrite' }, { kind: 'closeWrite' }, { kind: 'delete' }]);
  dm.recordRun(REMOTE, { kind: 'ok' }, T0 + 100, { durationMs: 120, items: 2 });
  dm.recordSynced([T0], T0 + 100);
  Object.assign(figures, { pending: 7, inFlight: 1, failLogBytes: 99 });
  m = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'closeWrite' }), 2);
  assert.equal(sampleValue(m, 'sersync_events_total', { kind: 'delete' }), 1);
  assert.equal(
    sampleValue(m, 'sersync_rsync_runs_total', { remote: REMOTE.label, result: 'ok' }),
    1,
  );
  assert.equal(sampleValue(m, 'sersync_queue_pending_paths'), 7);
  assert.equal(sampleValue(m, 'sersync_rsync_in_flight'), 1);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_bucket', { le: '0.1' }), 1);
  assert.equal(sampleValue(m, 'sersync_fail_log_bytes'), 99);

  // /status is the JSON document.
  res = await fetch(`${base}/status`);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const status = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(status, JSON.parse(JSON.stringify(dm.status())) as unknown);
  assert.equal(status['pending'], 7);
  assert.equal(status['watchCount'], 5);

  // The remote starts failing: healthy within the grace period, then 503 naming it.
  dm.recordRun(REMOTE, { kind: 'failed', reason: 'exit 10: error in socket IO' }, T0 + 1000);
  clock.now = T0 + 5000;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  clock.now = T0 + 11_000;
  res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 503);
  assert.equal(
    await res.text(),
    'unreachable: backup@127.0.0.1::data failing for 10 s (1 run(s)): exit 10: error in socket IO\n',
  );
  const s2 = (await (await fetch(`${base}/status`)).json()) as {
    remotes: { failures: number; lastError: string }[];
  };
  assert.equal(s2.remotes[0]!.failures, 1);
  assert.equal(s2.remotes[0]!.lastError, 'exit 10: error in socket IO');
});

test('names are bytes: /status and /healthz show a raw-byte root as \\xe9, never U+FFFD', async () => {
  const root = '/srv/fotos\udce9'; // the BytePath of /srv/fotos + byte 0xe9 (Latin-1 é)
  const remote = { label: 'backup@127.0.0.1::data', root };
  const dm = createDaemonMetrics({
    startedAt: T0,
    roots: [root],
    remotes: [remote],
    probe: () => ({ pending: 0, inFlight: 0, watchCount: 1, backend: 'inotify', failLogBytes: 0 }),
    graceMs: 10_000,
  });
  let now = T0;
  const { base } = await start(dm.source(() => now));
  dm.setState('watching');
  dm.recordRun(remote, { kind: 'failed', reason: `exit 23: ${root}/good\udcfc.txt vanished` }, T0);
  now = T0 + 11_000;
  const body = await (await fetch(`${base}/status`)).text();
  assert.ok(!body.includes('\ufffd') && !/\\udc/i.test(body), body);
  const status = JSON.parse(body) as {
    roots: string[];
    remotes: { root: string; lastError: string }[];
  };
  assert.deepEqual(status.roots, ['/srv/fotos\\xe9']);
  assert.equal(status.remotes[0]!.root, '/srv/fotos\\xe9');
  assert.equal(status.remotes[0]!.lastError, 'exit 23: /srv/fotos\\xe9/good\\xfc.txt vanished');
  const health = await (await fetch(`${base}/healthz`)).text();
  assert.match(health, /: exit 23: \/srv\/fotos\\xe9\/good\\xfc\.txt vanished\n$/);
});

test('unknown paths are 404, other methods 405, HEAD has no body', async () => {
  const { source } = fixture();
  const { base } = await start(source);
  assert.equal((await fetch(`${base}/`)).status, 404);
  assert.equal((await fetch(`${base}/metrics/x`)).status, 404);
  const post = await fetch(`${base}/status`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${base}/metrics?x=1`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.ok(Number(head.headers.get('content-length')) > 0);
});

test('non-loopback addresses are refused without binding', async () => {
  const { source } = fixture();
  const logger = memoryLogger();
  const r = await startStatusServer({ host: '0.0.0.0', port: 0, source, logger });
  assert.equal(r.ok ? 'started' : r.error.kind, 'not-loopback');
  const bad = await startStatusServer({ host: '127.0.0.1', port: 70000, source, logger });
  assert.equal(bad.ok ? 'started' : bad.error.kind, 'bad-port');
});

test('a port in use is an error value; close() frees the port even with a keep-alive client', async () => {
  const { source } = fixture();
  const { server, base } = await start(source);
  const clash = await startStatusServer({
    host: 'localhost',
    port: server.port,
    source,
    logger: memoryLogger(),
  });
  assert.deepEqual(
    clash.ok ? 'started' : [clash.error.kind, 'code' in clash.error ? clash.error.code : ''],
    ['listen-failed', 'EADDRINUSE'],
  );

  // Hold a keep-alive connection open, then close: close() must not wait for the client.
  const agentRes = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/healthz`, { headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(agentRes, 503);
  await server.close();
  await server.close(); // idempotent
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(server.port, '127.0.0.1', () => {
      resolve();
    });
  });
  await new Promise((resolve) => probe.close(resolve));
});

test('configured secrets never appear in a response', async () => {
  const { dm, source } = fixture();
  const { base } = await start(source, { secrets: ['s3cr3t-pw'] });
  dm.recordRun(REMOTE, { kind: 'failed', reason: 'auth failed with password s3cr3t-pw' }, T0);
  const body = await (await fetch(`${base}/status`)).text();
  assert.ok(!body.includes('s3cr3t-pw'), body);
  assert.match(body, /auth failed with password \*\*\*/);
});

test('a bug in a probe answers 500, is logged, and the server keeps serving', async () => {
  let broken = true;
  const metrics = new Registry();
  new Gauge({
    name: 'probed',
    help: 'h',
    registers: [metrics],
    collect() {
      if (broken) throw new Error('metrics probe exploded');
      this.set(1);
    },
  });
  const source: StatusSource = {
    status() {
      if (broken) throw new Error('probe exploded');
      return {
        state: 'watching',
        startedAt: new Date(T0).toISOString(),
        roots: [],
        rootStates: [],
        backend: null,
        watchCount: 0,
        pending: 0,
        inFlight: 0,
        remotes: [],
        failLogBytes: 0,
      };
    },
    health: () => ({ ok: true, reason: 'ok' }),
    metrics,
  };
  const { base, logger } = await start(source);
  assert.equal((await fetch(`${base}/metrics`)).status, 500);
  assert.ok(
    logger.lines.some((l) => l.includes('/metrics') && l.includes('metrics probe exploded')),
  );
  const res = await fetch(`${base}/status`);
  assert.equal(res.status, 500);
  assert.ok(
    logger.lines.some(
      (l) =>
        l.startsWith('[error] Internal error in status endpoint /status') &&
        l.includes('probe exploded'),
    ),
  );
  broken = false;
  assert.equal((await fetch(`${base}/status`)).status, 200);
  assert.equal((await fetch(`${base}/metrics`)).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
