// The root keeper inside startPipeline (fake clock, stub watcher and sync service, a root look the
// test sets): a full sync with --delete from a root that looks unmounted is refused and held, the
// service says why (/healthz), realtime batches go on, and the held sync runs by itself once the
// root looks right; a missing root is waited for; a lost root is not synced from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPipeline, type PipelineOptions } from '../../../src/pipeline.js';
import type { RootLook } from '../../../src/pipeline/root-guard.js';
import { openJournal } from '../../../src/retry/journal.js';
import { drain } from '../../helpers/fake-clock.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { DIR_LOOK, harness, harnessConfig } from '../../helpers/pipeline-harness.js';
import { tmpDir } from '../../helpers/tmp.js';

const ROOT = '/srv/www';
const CATCH_UP: PipelineOptions = {
  ...{ threads: 2, fullSyncAtStart: 'catch-up', rsyncPath: 'rsync', testHooks: false },
};
const EMPTY: Extract<RootLook, { kind: 'dir' }> = {
  kind: 'dir',
  dev: 65024,
  ino: 7,
  parentDev: 65024,
  hasEntries: false,
};
const MISSING: RootLook = { kind: 'missing', detail: 'does not exist' };

type H = ReturnType<typeof harness>;

/** Starts a pipeline on `stateDir` with harness `h`. */
async function start(h: H, stateDir: string, opts: Partial<PipelineOptions> = {}, daemon = {}) {
  const logger = memoryLogger('debug');
  const r = await startPipeline(
    harnessConfig(stateDir, [ROOT], daemon),
    { ...CATCH_UP, ...opts },
    logger,
    h.deps,
  );
  if (!r.ok) assert.fail(r.error.message);
  await drain();
  const health = () => r.value.metrics.health(h.clock.now());
  return { p: r.value, logger, health };
}

type Started = Awaited<ReturnType<typeof start>>;

/** Settles run `i` as ok, checks (unless told not to) that the service is healthy, and stops it. */
async function okAndStop(h: H, i: number, s: Started, healthy = true): Promise<void> {
  h.runs[i]?.done.resolve({ kind: 'ok' });
  await drain();
  if (healthy) assert.equal(s.health().ok, true, s.health().reason);
  await s.p.stop(1000);
}

/** A first run whose catch-up full sync succeeds with 1000 entries: roots.json records the root. */
async function recorded(stateDir: string): Promise<void> {
  const h = harness();
  const s = await start(h, stateDir);
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['full'],
  );
  await okAndStop(h, 0, s, false);
}

const change = { root: ROOT, path: 'a.txt', op: 'upsert', isDir: false } as const;
const ev = { kind: 'closeWrite', root: ROOT, path: 'a.txt', isDir: false } as const;

test('an empty root whose last sync saw 1000 entries: the catch-up is refused, held, and runs once the disk is back', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const doc = JSON.parse(readFileSync(join(tmp.path, 'roots.json'), 'utf8')) as {
    roots: Record<string, unknown>;
  };
  assert.deepEqual(doc.roots[ROOT], {
    dev: 2049,
    mountPoint: false,
    nonEmpty: true,
    entries: 1000,
    at: new Date(1_000_020).toISOString(),
  });

  const h = harness();
  h.looks.set(ROOT, { ...EMPTY, dev: 2049, parentDev: 2049 });
  const s = await start(h, tmp.path);
  await h.clock.advance(20);
  assert.equal(h.runs.length, 0, 'no full sync from the empty root');
  assert.equal(s.health().ok, false);
  assert.match(
    s.health().reason,
    /sync from \/srv\/www refused: \/srv\/www is empty, but the last successful sync .* saw 1000 entries/,
  );
  assert.ok(
    s.logger.lines.some((l) => /^\[error\] full sync of \/srv\/www refused: .*is empty/.test(l)),
    s.logger.lines.join('\n'),
  );

  h.fire().onChange(change, ev); // realtime goes on
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['paths'],
  );
  h.runs[0]?.done.resolve({ kind: 'ok' });

  h.looks.set(ROOT, DIR_LOOK); // the disk is mounted again (same directory here)
  await h.clock.advance(5_000);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['paths', 'full'],
    'the held full sync ran by itself',
  );
  assert.ok(s.logger.lines.some((l) => /looks right again: the held full sync runs/.test(l)));
  await okAndStop(h, 1, s);
  tmp.cleanup();
});

test('a missing root at start: the pipeline runs and waits (503); it appears -> watched and caught up', async () => {
  const tmp = tmpDir();
  const h = harness();
  h.looks.set(ROOT, MISSING);
  const s = await start(h, tmp.path, { fullSyncAtStart: false });
  assert.deepEqual(h.order, ['watching '], 'only the backend was chosen');
  assert.deepEqual(s.health(), {
    ok: false,
    reason: 'waiting for /srv/www to appear (does not exist)',
  });
  assert.deepEqual(s.p.metrics.status().rootStates, [
    { root: ROOT, state: 'waiting', problem: 'waiting for /srv/www to appear (does not exist)' },
  ]);
  assert.ok(
    s.logger.lines.includes(
      '[error] watch root /srv/www does not exist: waiting for it to appear (checked every 5 s); no full sync runs from it meanwhile',
    ),
  );
  await h.clock.advance(5_000);
  assert.equal(h.order.length, 1, 'still waiting');

  h.looks.set(ROOT, DIR_LOOK);
  await h.clock.advance(5_000);
  assert.deepEqual(h.order, ['watching ', `watching ${ROOT}`]);
  assert.ok(s.logger.lines.includes('[info] watch root /srv/www is there: watching it'));
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['full'],
    'what it held was never seen: a full sync',
  );
  await okAndStop(h, 0, s);
  tmp.cleanup();
});

test('the root lost at runtime: no full sync from it, unwatched, waiting; back -> watched and caught up', async () => {
  const tmp = tmpDir();
  const h = harness();
  const s = await start(h, tmp.path, { fullSyncAtStart: false });
  h.looks.set(ROOT, MISSING);
  h.fire().onRescan(ROOT, 'root-lost', 'the watch root /srv/www was deleted');
  await h.clock.advance(20_000);
  assert.equal(h.runs.length, 0, 'a lost root asks for no full sync');
  assert.deepEqual(h.order, [`watching ${ROOT}`, 'watcher closed']);
  assert.match(s.health().reason, /^waiting for \/srv\/www to appear/);

  h.looks.set(ROOT, { ...DIR_LOOK, ino: 101 }); // a new directory there
  await h.clock.advance(5_000);
  assert.deepEqual(h.order, [`watching ${ROOT}`, 'watcher closed', `watching ${ROOT}`]);
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => x.batch.kind),
    ['full'],
  );
  await okAndStop(h, 0, s);
  tmp.cleanup();
});

test('something mounted over a watched root: watched again, and its full sync goes through the guard', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const h = harness();
  const s = await start(h, tmp.path, { fullSyncAtStart: false });
  h.looks.set(ROOT, { ...DIR_LOOK, dev: 2065, ino: 2 }); // another disk, a mount point now
  await h.clock.advance(5_000);
  assert.deepEqual(h.order, [`watching ${ROOT}`, 'watcher closed', `watching ${ROOT}`]);
  assert.ok(s.logger.lines.some((l) => /is another directory now .*: watching it again/.test(l)));
  await h.clock.advance(20);
  assert.equal(h.runs.length, 0);
  assert.match(s.health().reason, /became a mount point since the last successful sync/);
  await s.p.stop(1000);
  tmp.cleanup();
});

test('another device: refused; --accept-roots runs it once and records the root anew', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const other: RootLook = { ...DIR_LOOK, dev: 2081, parentDev: 2081 };
  const h = harness();
  h.looks.set(ROOT, other);
  const s = await start(h, tmp.path);
  await h.clock.advance(20);
  assert.equal(h.runs.length, 0);
  assert.match(
    s.health().reason,
    /on device 8:33, but the last successful sync .* saw device 8:1 \(another disk mounted\?\)/,
  );
  await s.p.stop(1000);

  const h2 = harness();
  h2.looks.set(ROOT, other);
  const s2 = await start(h2, tmp.path, { acceptRoots: true });
  await h2.clock.advance(20);
  assert.deepEqual(
    h2.runs.map((x) => [x.batch.kind, x.maxDelete]),
    [['full', undefined]],
    'no share limit either',
  );
  await okAndStop(h2, 0, s2);
  const doc = JSON.parse(readFileSync(join(tmp.path, 'roots.json'), 'utf8')) as {
    roots: Record<string, { dev: number }>;
  };
  assert.equal(doc.roots[ROOT]?.dev, 2081, 'the new device is the reference now');
  tmp.cleanup();
});

test('<daemon rootGuard="false">: the catch-up runs from an empty root (the documented override)', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const h = harness();
  h.looks.set(ROOT, EMPTY);
  const s = await start(h, tmp.path, {}, { rootGuard: false });
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => [x.batch.kind, x.maxDelete]),
    [['full', undefined]],
  );
  h.runs[0]?.done.resolve({ kind: 'ok' });
  await drain();
  await s.p.stop(1000);
  tmp.cleanup();
});

test('--max-delete: 50 % of the counted entries; a run stopped by it (exit 25) stops the full syncs, also after a restart, until the root holds enough entries again', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const h = harness();
  const s = await start(h, tmp.path);
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) => [x.batch.kind, x.maxDelete]),
    [['full', 500]],
  );
  h.runs[0]?.done.resolve({
    kind: 'failed',
    reason: 'fatal: exit 25 (the --max-delete limit stopped deletions)',
  });
  await h.clock.advance(60_000);
  assert.equal(h.runs.length, 1, 'no second run deleting 500 more');
  assert.match(
    s.health().reason,
    /stopped at the --max-delete limit of 500 \(50 % of the 1000 entries/,
  );
  await s.p.stop(1000);

  const h2 = harness();
  h2.counts.set(ROOT, 120);
  const s2 = await start(h2, tmp.path);
  await h2.clock.advance(20);
  assert.equal(h2.runs.length, 0, 'the stop outlives a restart');
  assert.match(s2.health().reason, /--max-delete limit of 500/);
  h2.counts.set(ROOT, 550); // the files are back
  await h2.clock.advance(65_000);
  assert.deepEqual(
    h2.runs.map((x) => x.batch.kind),
    ['full'],
  );
  assert.ok(s2.logger.lines.some((l) => /holds 550 entries again/.test(l)));
  await okAndStop(h2, 0, s2);
  tmp.cleanup();
});

test('what the last run left in the journal is not replayed from a root that looks unmounted', async () => {
  const tmp = tmpDir();
  await recorded(tmp.path);
  const j = await openJournal(tmp.path);
  assert.ok(j.ok);
  j.value.append([
    { kind: 'pending', targetKey: `${ROOT}\u00000`, path: 'kept.txt', op: 'upsert', isDir: false },
  ]);
  await j.value.close();
  const h = harness();
  h.looks.set(ROOT, { ...EMPTY, dev: 2049, parentDev: 2049 });
  const s = await start(h, tmp.path, { fullSyncAtStart: false });
  await h.clock.advance(1_000);
  assert.equal(
    h.runs.length,
    0,
    'kept.txt is missing here: replaying it would delete it at the target',
  );
  assert.ok(
    s.logger.lines.some((l) =>
      /replay of what the last run left unsynced of \/srv\/www refused/.test(l),
    ),
  );
  h.looks.set(ROOT, { ...DIR_LOOK, ino: 7 }); // the files are back in the same directory
  await h.clock.advance(5_000);
  await h.clock.advance(20);
  assert.deepEqual(
    h.runs.map((x) =>
      x.batch.kind === 'paths' ? x.batch.entries.map((e) => e.path) : x.batch.kind,
    ),
    [['kept.txt']],
  );
  h.runs[0]?.done.resolve({ kind: 'ok' });
  await drain();
  await s.p.stop(1000);
  tmp.cleanup();
});

test('a fresh install on an empty root without -r: nothing asked, nothing refused, healthy', async () => {
  const tmp = tmpDir();
  const h = harness();
  h.looks.set(ROOT, EMPTY);
  const s = await start(h, tmp.path, { fullSyncAtStart: false });
  await h.clock.advance(10_000);
  assert.equal(s.health().ok, true, s.health().reason);
  await s.p.stop(1000);
  tmp.cleanup();
});
