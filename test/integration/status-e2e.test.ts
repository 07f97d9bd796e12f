// The status endpoint of a running service (`<host hostip port>`): /healthz, /status and /metrics
// answer over real HTTP and their figures follow what the service syncs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { freePort, startRsyncd } from '../helpers/rsyncd.js';
import { confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

/** `sersync_rsync_runs_total{remote="127.0.0.1::mod",result}`, parsed strictly (a malformed exposition throws). */
function runs(text: string, result: string): number {
  return (
    sampleValue(parsePrometheusText(text), 'sersync_rsync_runs_total', {
      remote: '127.0.0.1::mod',
      result,
    }) ?? 0
  );
}

/** A sample of the strictly parsed exposition (0 when absent). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  return sampleValue(parsePrometheusText(text), name, labels) ?? 0;
}

test('a running service reports health, status and metrics that follow its syncs', async () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  mkdirSync(src);
  // Pushed by `-r` (a full sync, whose out-format reports file lengths: the byte counter).
  const seed = 'x'.repeat(1234);
  writeFileSync(join(src, 'seed.txt'), seed);
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  const statusPort = await freePort();
  const svc = await startService(
    tmp.path,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'fail.sh'),
      statusPort,
    }),
    ['-r'],
  );
  try {
    const before = await get(statusPort, '/metrics');
    assert.equal(before.status, 200);
    const runsBefore = runs(before.body, 'ok');

    writeFileSync(join(src, 'a.txt'), 'a');
    await eventually(() => diffTrees(src, dst).length === 0, { what: 'a.txt at the target' });
    await eventually(
      async () => runs((await get(statusPort, '/metrics')).body, 'ok') > runsBefore,
      {
        what: 'the ok-run counter to grow',
      },
    );
    // The run facts and the change-to-target latency are real values, not zeros.
    const mod = { remote: '127.0.0.1::mod' };
    await eventually(
      async () => {
        const text = (await get(statusPort, '/metrics')).body;
        return (
          metric(text, 'sersync_rsync_bytes_total', mod) >= seed.length &&
          metric(text, 'sersync_rsync_items_total', mod) >= 2 &&
          metric(text, 'sersync_sync_latency_seconds_count') >= 1
        );
      },
      { what: 'bytes, items and the sync latency to move' },
    );
    const facts = (await get(statusPort, '/metrics')).body;
    assert.ok(metric(facts, 'sersync_sync_latency_seconds_sum') > 0, facts);
    assert.ok(metric(facts, 'sersync_rsync_run_duration_seconds_sum', mod) > 0, facts);
    const health = await get(statusPort, '/healthz');
    assert.equal(health.status, 200, health.body);
    const status = JSON.parse((await get(statusPort, '/status')).body) as {
      state: string;
      roots: string[];
      remotes: ({ label: string; lastSuccessAt: string | null } | undefined)[];
    };
    assert.equal(status.state, 'watching');
    assert.deepEqual(status.roots, [src]);
    const remote = status.remotes[0];
    assert.ok(remote);
    assert.equal(remote.label, '127.0.0.1::mod');
    assert.notEqual(remote.lastSuccessAt, null);

    // The rsync daemon goes away: failures show up in /status and in the run counter.
    await rsyncd.stop();
    writeFileSync(join(src, 'b.txt'), 'b');
    await eventually(
      async () => {
        const s = JSON.parse((await get(statusPort, '/status')).body) as {
          remotes: ({ failures: number } | undefined)[];
        };
        return (s.remotes[0]?.failures ?? 0) > 0;
      },
      { what: 'a failure in /status' },
    );
    const m = await get(statusPort, '/metrics');
    assert.ok(runs(m.body, 'failed') > 0, m.body);
  } finally {
    assert.equal(await svc.stop(), 0);
    await rsyncd.stop();
    tmp.cleanup();
  }
});
