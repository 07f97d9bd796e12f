// startPipeline with a fake clock, a stub watcher and a stub sync service (no inotify, no rsync):
// a change becomes a journalled 'paths' batch, a rescan a rate-limited 'full' batch, the run facts
// reach the metrics, start-up failures are typed values, and stop() closes the parts in order.
// (The root guard and the wait for a missing root: root-keeper.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../src/config/types.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { startPipeline } from '../../../src/pipeline.js';
import { openJournal } from '../../../src/retry/journal.js';
import { drain } from '../../helpers/fake-clock.js';
import { harness, harnessConfig } from '../../helpers/pipeline-harness.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';
import { tmpDir } from '../../helpers/tmp.js';

const ROOT = '/srv/www';
const OPTS = { threads: 2, fullSyncAtStart: false, rsyncPath: 'rsync', testHooks: false } as const;

function config(stateDir: string): Config {
  return harnessConfig(stateDir, [ROOT]);
}

test('a change is journalled, batched after its quiet window, synced, and marked done', async () => {
  const tmp = tmpDir();
  const h = harness();
  const logger = memoryLogger('debug');
  const r = await startPipeline(config(tmp.path), OPTS, logger, h.deps);
  assert.ok(r.ok);
  const ev = { kind: 'closeWrite', root: ROOT, path: 'a.txt', isDir: false } as const;
  h.fire().onEvents?.([ev]);
  h.fire().onChange({ root: ROOT, path: 'a.txt', op: 'upsert', isDir: false }, ev);
  await h.clock.advance(19);
  assert.equal(h.runs.length, 0, 'still inside the quiet window');
  await h.clock.advance(1);
  assert.deepEqual(
    h.runs.map((x) => x.batch),
    [
      {
        kind: 'paths',
        target: { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 },
        entries: [{ path: 'a.txt', op: 'upsert', isDir: false, attempts: 0 }],
      },
    ],
  );
  await h.clock.advance(250);
  h.runs[0]?.done.resolve({ kind: 'ok', run: { durationMs: 120, items: 2, bytes: 10 } });
  await drain();
  const stopped = await r.value.stop(30_000);
  assert.deepEqual(stopped, { drained: true, pendingLeft: 0 });
  assert.deepEqual(h.order, [
    `watching ${ROOT}`,
    'watcher closed',
    'pool closed',
    'fail log flushed',
  ]);
  const j = await openJournal(tmp.path);
  assert.ok(j.ok);
  assert.deepEqual([...j.value.outstanding()], [], 'the synced path is done in the journal');
  await j.value.close();
  tmp.cleanup();
});

test('the run facts and the change-to-target latency reach the metrics', async () => {
  const tmp = tmpDir();
  const h = harness();
  const r = await startPipeline(config(tmp.path), OPTS, memoryLogger('debug'), h.deps);
  assert.ok(r.ok);
  const ev = { kind: 'closeWrite', root: ROOT, path: 'b', isDir: false } as const;
  h.fire().onChange({ root: ROOT, path: 'b', op: 'upsert', isDir: false }, ev);
  await h.clock.advance(20);
  await h.clock.advance(480); // seen at t, on the target at t + 500 ms
  h.runs[0]?.done.resolve({ kind: 'ok', run: { durationMs: 480, items: 4, bytes: 4096 } });
  await drain();
  const m = parsePrometheusText(await r.value.metrics.registry.metrics());
  const remote = { remote: '127.0.0.1::tongbu1' };
  assert.equal(sampleValue(m, 'sersync_rsync_items_total', remote), 4);
  assert.equal(sampleValue(m, 'sersync_rsync_bytes_total', remote), 4096);
  assert.equal(sampleValue(m, 'sersync_rsync_run_duration_seconds_sum', remote), 0.48);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_count', {}), 1);
  assert.equal(sampleValue(m, 'sersync_sync_latency_seconds_sum', {}), 0.5);
  await r.value.stop(1000);
  tmp.cleanup();
});

test('a watcher rescan is a full batch; a second one within 10 s waits for the rate limit', async () => {
  const tmp = tmpDir();
  const h = harness();
  const logger = memoryLogger('debug');
  const r = await startPipeline(config(tmp.path), OPTS, logger, h.deps);
  assert.ok(r.ok);
  h.fire().onRescan(ROOT, 'overflow', 'queue overflow');
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['full'],
  );
  h.runs[0]?.done.resolve({ kind: 'ok' });
  await drain();
  h.fire().onRescan(ROOT, 'overflow', 'again');
  assert.ok(
    logger.lines.some((l) => /full sync of \/srv\/www queued \(overflow\) in 10 s/.test(l)),
  );
  await h.clock.advance(9_000);
  assert.equal(h.runs.length, 1, 'rate-limited');
  await h.clock.advance(1_100);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['full', 'full'],
  );
  h.runs[1]?.done.resolve({ kind: 'ok' });
  await drain();
  await r.value.stop(1000);
  tmp.cleanup();
});

test('stop() gives running rsync drainMs of (fake) time, then kills them; what is left is counted', async () => {
  const tmp = tmpDir();
  const h = harness();
  const r = await startPipeline(config(tmp.path), OPTS, memoryLogger('debug'), h.deps);
  assert.ok(r.ok);
  const ev = { kind: 'closeWrite', root: ROOT, path: 'slow', isDir: false } as const;
  h.fire().onChange({ root: ROOT, path: 'slow', op: 'upsert', isDir: false }, ev);
  await h.clock.advance(20);
  assert.equal(h.runs.length, 1);
  const stopping = r.value.stop(5_000);
  await h.clock.advance(5_000);
  h.runs[0]?.done.resolve({ kind: 'failed', reason: 'killed' });
  assert.deepEqual(await stopping, { drained: false, pendingLeft: 1 });
  assert.deepEqual(h.order.slice(1, 3), ['watcher closed', 'pool closed (forced)']);
  const j = await openJournal(tmp.path);
  assert.ok(j.ok);
  assert.deepEqual(
    [...j.value.outstanding()].map(([, ps]) => ps.map((p) => p.path)),
    [['slow']],
    'the unsynced path stays in the journal for the next start',
  );
  await j.value.close();
  tmp.cleanup();
});

test('start-up failures are typed values: inotify that cannot start, a bad state directory', async () => {
  const tmp = tmpDir();
  const h = harness({ watchFails: 'init-failed' });
  const r = await startPipeline(config(tmp.path), OPTS, memoryLogger('debug'), h.deps);
  assert.deepEqual(r.ok ? 'started' : r.error.kind, 'init-failed');
  assert.deepEqual(h.order, [`watching ${ROOT}`, 'pool closed (forced)']);

  const file = join(tmp.path, 'not-a-dir');
  writeFileSync(file, '');
  const h2 = harness();
  const r2 = await startPipeline(config(file), OPTS, memoryLogger('debug'), h2.deps);
  assert.deepEqual(r2.ok ? 'started' : r2.error.kind, 'state-dir');
  assert.deepEqual(h2.order, ['pool closed (forced)'], 'nothing is watched');
  tmp.cleanup();
});

test('a change made while its run (or a full sync) is in flight stays in the journal after that run', async () => {
  const tmp = tmpDir();
  const h = harness();
  const r = await startPipeline(config(tmp.path), OPTS, memoryLogger('debug'), h.deps);
  assert.ok(r.ok);
  const change = (path: string, isDir: boolean): void => {
    const ev = { kind: isDir ? 'create' : 'closeWrite', root: ROOT, path, isDir } as const;
    h.fire().onChange({ root: ROOT, path, op: 'upsert', isDir }, ev);
  };
  change('d', true);
  await h.clock.advance(20);
  h.fire().onRescan(ROOT, 'overflow', 'queue overflow');
  change('d/x', false); // below the directory in flight: held
  await h.clock.advance(20);
  h.runs[0]?.done.resolve({ kind: 'ok' });
  await drain();
  await h.clock.advance(20);
  assert.equal(h.runs[1]?.batch.kind, 'full', 'the full sync, once d settled');
  change('later', false); // beside the full sync
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs
      .slice(2)
      .map((x) => (x.batch.kind === 'paths' ? x.batch.entries.map((e) => e.path) : [])),
    [['later']],
  );
  h.runs[2]?.done.resolve({ kind: 'ok' });
  await drain();
  h.runs[1].done.resolve({ kind: 'ok' });
  await drain();
  // 'later' is queued again (the full sync's file list may predate it); stop before it runs.
  const stopped = await r.value.stop(0);
  assert.equal(stopped.pendingLeft, 1);
  const j = await openJournal(tmp.path);
  assert.ok(j.ok);
  assert.deepEqual(
    [...j.value.outstanding()].map(([, ps]) => ps.map((p) => p.path)),
    [['later']],
    "the full sync's 'done' for the root does not drop what changed while it ran",
  );
  await j.value.close();
  tmp.cleanup();
});
