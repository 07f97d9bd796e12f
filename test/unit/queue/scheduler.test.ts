// Scheduler with a FakeClock and a fake runBatch (deferreds, no real timers): lone change at once,
// bursts coalesced, no overlapping runs per target, targets independent, failure -> backoff -> success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, type SchedulerOptions } from '../../../src/queue/scheduler.js';
import { overlaps } from '../../../src/queue/path-trie.js';
import type { Batch, BatchOutcome, Change, Entry, Target } from '../../../src/queue/types.js';
import { FakeClock, deferred, drain, type Deferred } from '../../helpers/fake-clock.js';

const R1 = '/src/one';
const R2 = '/src/two';
const target = (root: string, remoteIndex: number): Target => ({
  key: `${root}\u0000${remoteIndex}`,
  root,
  remoteIndex,
});
const A = target(R1, 0);
const B = target(R1, 1);
const C = target(R2, 0);

interface Run {
  readonly batch: Batch;
  readonly at: number;
  readonly done: Deferred<BatchOutcome>;
}

/** What a batch covers, for these checks: a full sync covers the whole root (the path ''). */
function entriesOf(b: Batch): readonly Entry[] {
  return b.kind === 'full'
    ? [{ path: '', op: 'upsert', isDir: true, attempts: b.attempts }]
    : b.entries;
}

/** A scheduler wired to a fake clock and a recording runBatch. `auto` settles each run by itself. */
function harness(
  o: Partial<SchedulerOptions> & {
    auto?: { ms: number; outcome?: (b: Batch) => BatchOutcome };
  } = {},
) {
  const clock = new FakeClock(0);
  const runs: Run[] = [];
  const violations: string[] = [];
  const active = new Map<string, Set<string>>();
  const synced: { target: Target; entries: readonly Entry[]; at: number }[] = [];
  const retries: {
    target: Target;
    entries: readonly Entry[];
    delayMs: number;
    reason: string;
    at: number;
  }[] = [];
  const runBatch = (batch: Batch): Promise<BatchOutcome> => {
    const act = active.get(batch.target.key) ?? new Set<string>();
    active.set(batch.target.key, act);
    for (const e of entriesOf(batch)) {
      // Path runs go beside a full sync (the root ''); two path runs, or two full syncs, never overlap.
      for (const a of act)
        if (overlaps(a, e.path) && (a === '') === (e.path === ''))
          violations.push(`${batch.target.key}: ${e.path} started while ${a} in flight`);
      if (e.path === '' && act.size > 0)
        violations.push(`${batch.target.key}: a full sync started beside ${[...act].join()}`);
      act.add(e.path);
    }
    const done = deferred<BatchOutcome>();
    runs.push({ batch, at: clock.now(), done });
    if (o.auto) {
      const { ms, outcome } = o.auto;
      clock.setTimeout(() => {
        done.resolve(outcome ? outcome(batch) : { kind: 'ok' });
      }, ms);
    }
    return done.promise.finally(() => {
      for (const e of entriesOf(batch)) act.delete(e.path);
    });
  };
  const s = new Scheduler({
    targets: [A, B, C],
    clock,
    runBatch,
    maxInFlight: 10,
    quietMs: 20,
    backoff: { initialMs: 1000, capMs: 60_000 },
    onSynced: (t, entries) => synced.push({ target: t, entries, at: clock.now() }),
    onRetry: (t, entries, delayMs, reason) =>
      retries.push({ target: t, entries, delayMs, reason, at: clock.now() }),
    ...o,
  });
  return { s, clock, runs, violations, synced, retries };
}

const up = (path: string, root = R1): Change => ({ root, path, op: 'upsert', isDir: false });
const paths = (b: Batch): string[] => entriesOf(b).map((e) => e.path);
const runsFor = (runs: readonly Run[], t: Target): Run[] =>
  runs.filter((r) => r.batch.target.key === t.key);

test('a lone change is dispatched as soon as its quiet window ends, for each remote of its root', async () => {
  const { s, clock, runs } = harness();
  s.add(up('index.html'));
  await clock.advance(19);
  assert.equal(runs.length, 0);
  await clock.advance(1);
  assert.deepEqual(
    runs.map((r) => [r.batch.target.key, paths(r.batch), r.at]),
    [
      [A.key, ['index.html'], 20],
      [B.key, ['index.html'], 20],
    ],
  );
  assert.equal(s.inFlightCount(), 2);
  assert.equal(clock.timerCount, 0, 'nothing else to wake up for');
});

test('a lone close_write is dispatched at once, after the events handed over with it', async () => {
  const { s, clock, runs } = harness();
  s.add(up('index.html'));
  s.add({ ...up('index.html'), closed: true });
  assert.equal(runs.length, 0); // not inside the watcher's call
  await drain();
  assert.deepEqual(
    runs.map((r) => [r.batch.target.key, paths(r.batch), r.at]),
    [
      [A.key, ['index.html'], 0],
      [B.key, ['index.html'], 0],
    ],
  );
  assert.equal(clock.now(), 0);
});

test('a lone temp file closed and renamed in one hand-over leaves as the renamed file only', async () => {
  const { s, runs } = harness({ targets: [A] });
  s.add({ ...up('.x.swp'), created: true });
  s.add({ ...up('.x.swp'), closed: true });
  s.add({ root: R1, path: '.x.swp', op: 'remove', isDir: false });
  s.add({ ...up('x'), closed: true });
  await drain();
  assert.deepEqual(
    runs.map((r) => paths(r.batch)),
    [['x']],
  );
});

test('a close_write while another path is queued waits 2 ms, not the whole quiet window', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('other'));
  s.add({ ...up('index.html'), closed: true });
  await clock.advance(1);
  assert.equal(runs.length, 0);
  await clock.advance(1);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [[['index.html'], 2]],
  );
});

test('a burst arriving at once is coalesced into few batches spread over the workers', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  for (let i = 0; i < 1000; i++) s.add(up(`d${i % 50}/f${i}`));
  for (let i = 0; i < 1000; i++) s.add(up(`d${i % 50}/f${i}`)); // closeWrite after create: merged
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => entriesOf(r.batch).length),
    [334, 333, 333],
  );
  assert.equal(new Set(runs.flatMap((r) => paths(r.batch))).size, 1000);
});

test('maxSpread: a burst arriving at once goes over at most that many runs, whatever is free', async () => {
  const { s, clock, runs } = harness({ targets: [A], policy: { maxSpread: 2 } });
  for (let i = 0; i < 1000; i++) s.add(up(`d${i % 50}/f${i}`));
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => entriesOf(r.batch).length),
    [500, 500],
  );
  assert.equal(new Set(runs.flatMap((r) => paths(r.batch))).size, 1000);
});

test('a new directory with content is one entry', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add({ root: R1, path: 'new', op: 'upsert', isDir: true, created: true });
  for (let i = 0; i < 300; i++)
    s.add({ root: R1, path: `new/sub${i % 3}/f${i}`, op: 'upsert', isDir: false, created: true });
  await clock.advance(100);
  assert.deepEqual(
    runs.map((r) => entriesOf(r.batch)),
    [[{ path: 'new', op: 'upsert', isDir: true, attempts: 0 }]],
  );
});

test('5,000 new files in a burst take at most 20 runs (runs cost 130 ms), whatever the arrival spread', async () => {
  for (const spreadMs of [0, 50, 250, 500, 1000, 2000]) {
    const { s, clock, runs, violations } = harness({ targets: [A], auto: { ms: 130 } });
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor((i * spreadMs) / 5000);
      if (t > clock.now()) await clock.advance(t - clock.now());
      s.add({ ...up(`d${i % 50}/f${i}`), created: true });
      s.add(up(`d${i % 50}/f${i}`));
    }
    while (s.pendingCount() + s.inFlightCount() > 0) await clock.runNext();
    const sent = runs.flatMap((r) => paths(r.batch));
    assert.equal(sent.length, 5000, `spread ${spreadMs}: every file once`);
    assert.equal(new Set(sent).size, 5000);
    assert.ok(
      runs.length <= 20,
      `spread ${spreadMs} ms: ${runs.length} runs (${runs.map((r) => entriesOf(r.batch).length).join(',')})`,
    );
    assert.deepEqual(violations, []);
  }
});

test('a path changed while its run is in flight waits for that run, then goes at once', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('f'));
  await clock.advance(20);
  s.add(up('f'));
  s.add(up('other'));
  await clock.advance(49);
  assert.deepEqual(
    runs.map((r) => paths(r.batch)),
    [['f']],
  );
  await clock.advance(1); // no change for parallelWhenQuietMs: 'other' goes beside the run, 'f' still waits
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['f'], 20],
      [['other'], 70],
    ],
  );
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['f'], 20],
      [['other'], 70],
      [['f'], 70],
    ],
  );
});

test('rm -rf d0 d1: d1, deleted while d0 is in flight, goes beside it once the writer pauses', async () => {
  const { s, clock, runs, violations } = harness({ targets: [A] });
  const rm = (path: string, isDir = false): Change => ({ root: R1, path, op: 'remove', isDir });
  for (let i = 0; i < 200; i++) s.add(rm(`d0/f${i}`));
  s.add(rm('d0', true));
  await clock.advance(20);
  for (let i = 0; i < 200; i++) {
    s.add(rm(`d1/f${i}`));
    await clock.advance(1); // a steady stream: d1's files wait, nothing runs beside d0 yet
  }
  s.add(rm('d1', true));
  assert.deepEqual(
    runs.map((r) => paths(r.batch)),
    [['d0']],
  );
  await clock.advance(50);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['d0'], 20],
      [['d1'], 270],
    ],
  );
  assert.deepEqual(violations, []);
});

test('quiet gaps add at most one run beside a long one; more waits for the backlog rules', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('huge.iso'));
  await clock.advance(20); // in flight, never finishes in this test
  s.add(up('a'));
  await clock.advance(50);
  s.add(up('b'));
  await clock.advance(100);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['huge.iso'], 20],
      [['a'], 70],
    ],
  );
  await clock.advance(169);
  assert.equal(runs.length, 2, "'b' (ready at 90) waits for parallelAfterMs");
  await clock.advance(1);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['huge.iso'], 20],
      [['a'], 70],
      [['b'], 340],
    ],
  );
});

test('no two runs of one target ever overlap, under random churn (dirs, files, deletes, full syncs)', async () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const { s, clock, runs, violations } = harness({
    auto: { ms: 130 },
    maxInFlight: 4,
    policy: { parallelMinReady: 3, parallelAfterMs: 30 },
  });
  const names = ['a', 'b', 'c'];
  for (let step = 0; step < 3000; step++) {
    const depth = 1 + rnd(3);
    const path = Array.from({ length: depth }, () => names[rnd(3)]!).join('/');
    const r = rnd(100);
    if (r < 1) s.addFull(rnd(2) === 0 ? R1 : R2);
    else
      s.add({
        root: rnd(3) === 0 ? R2 : R1,
        path,
        op: r < 30 ? 'remove' : 'upsert',
        isDir: r % 2 === 0,
        created: r % 5 === 0,
      });
    await clock.advance(rnd(15));
  }
  while (s.pendingCount() + s.inFlightCount() > 0) await clock.runNext();
  assert.deepEqual(violations, []);
  assert.ok(runs.length > 50);
  assert.ok(
    Math.max(...runs.map((r) => runs.filter((q) => q.at <= r.at && q.at + 130 > r.at).length)) <= 4,
    'maxInFlight',
  );
});

test('targets progress independently: a stuck run of one remote does not delay another', async () => {
  const { s, clock, runs } = harness({ maxInFlight: 3 });
  s.add(up('x'));
  await clock.advance(20);
  assert.equal(runs.length, 2); // A and B; A never finishes
  for (let round = 1; round <= 3; round++) {
    for (const r of runs) if (r.batch.target.key !== A.key) r.done.resolve({ kind: 'ok' });
    await drain();
    s.add(up(`y${round}`));
    s.add(up(`z${round}`, R2));
    await clock.advance(20);
  }
  assert.deepEqual(
    runsFor(runs, B).map((r) => [paths(r.batch), r.at]),
    [
      [['x'], 20],
      [['y1'], 40],
      [['y2'], 60],
      [['y3'], 80],
    ],
  );
  assert.deepEqual(
    runsFor(runs, C).map((r) => [paths(r.batch), r.at]),
    [
      [['z1'], 40],
      [['z2'], 60],
      [['z3'], 80],
    ],
  );
  assert.equal(
    runsFor(runs, A).length,
    1,
    "A's changes wait behind its stuck run (below the parallel threshold)",
  );
});

test('with one free worker, waiting idle targets take turns', async () => {
  const { s, clock, runs } = harness({ maxInFlight: 1, targets: [B, C] });
  s.add(up('b1'));
  s.add(up('c1', R2));
  await clock.advance(20);
  assert.equal(runs.length, 1);
  const first = runs[0]!.batch.target.key;
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  assert.equal(runs.length, 2);
  assert.notEqual(runs[1]!.batch.target.key, first);
});

test('an idle target is served before a busy one when workers are scarce', async () => {
  const { s, clock, runs } = harness({ targets: [A, C], maxInFlight: 2 });
  s.add(up('big'));
  await clock.advance(20);
  for (let i = 0; i < 600; i++) s.add(up(`f${i}`));
  s.add(up('lone', R2));
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => r.batch.target.key),
    [A.key, C.key],
  );
});

test('failure -> exponential backoff (capped) -> success; entries never dropped', async () => {
  const outcomes: BatchOutcome[] = [
    { kind: 'failed', reason: 'exit 10' },
    { kind: 'failed', reason: 'exit 10' },
    { kind: 'failed', reason: 'exit 30' },
    { kind: 'ok' },
  ];
  const { s, clock, runs, retries, synced } = harness({
    targets: [A],
    backoff: { initialMs: 1000, capMs: 3000 },
    auto: { ms: 100, outcome: () => outcomes.shift() ?? { kind: 'ok' } },
  });
  s.add(up('f'));
  while (s.pendingCount() + s.inFlightCount() > 0) await clock.runNext();
  assert.deepEqual(
    runs.map((r) => [r.at, entriesOf(r.batch)[0]!.attempts]),
    [
      [20, 0],
      [1120, 1],
      [3220, 2],
      [6320, 3],
    ],
  );
  assert.deepEqual(
    retries.map((r) => [r.delayMs, r.reason, r.at]),
    [
      [1000, 'exit 10', 120],
      [2000, 'exit 10', 1220],
      [3000, 'exit 30', 3320],
    ],
  );
  assert.deepEqual(
    synced.map((x) => [x.entries.map((e) => e.path), x.at]),
    [[['f'], 6420]],
  );
});

test('partial: only the failed paths (or the entries containing them) are retried', async () => {
  const { s, clock, runs, retries, synced } = harness({ targets: [A] });
  for (const p of ['a', 'b', 'c']) s.add(up(p));
  s.add({ root: R1, path: 'd', op: 'upsert', isDir: true });
  await clock.advance(20);
  runs[0]!.done.resolve({ kind: 'partial', failedPaths: ['b', 'd/deep/file'] });
  await drain();
  assert.deepEqual(synced[0]!.entries.map((e) => e.path).sort(), ['a', 'c']);
  assert.deepEqual(retries[0]!.entries.map((e) => e.path).sort(), ['b', 'd']);
  await clock.advance(1000);
  assert.deepEqual(paths(runs[1]!.batch).sort(), ['b', 'd']);
  assert.equal(entriesOf(runs[1]!.batch)[0]!.attempts, 1);
});

test('partial with a path that matches no entry retries the whole batch', async () => {
  const { s, clock, runs, retries, synced } = harness({ targets: [A] });
  s.add(up('a'));
  s.add(up('b'));
  await clock.advance(20);
  runs[0]!.done.resolve({ kind: 'partial', failedPaths: ['/elsewhere/x'] });
  await drain();
  assert.equal(synced.length, 0);
  assert.equal(retries[0]!.entries.length, 2);
});

test('a rejected runBatch (a bug or a dead worker) is retried, not lost', async () => {
  const { s, clock, runs, retries } = harness({ targets: [A] });
  s.add(up('a'));
  await clock.advance(20);
  runs[0]!.done.reject(new Error('worker died'));
  await drain();
  assert.match(retries[0]!.reason, /rejected: worker died/);
  assert.equal(s.pendingCount(), 1);
});

test('a huge transfer does not hold back small changes for more than parallelAfterMs, even while changes keep coming', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('huge.iso'));
  await clock.advance(20); // huge.iso in flight, never finishes in this test
  s.add(up('small.txt'));
  for (let i = 0; i < 26; i++) {
    await clock.advance(10);
    s.add(up('log.txt')); // a file written every 10 ms: never quiet, and it keeps re-arming its own window
  }
  assert.equal(runs.length, 1);
  await clock.advance(10); // small.txt, ready at 40, is due at 290
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [['huge.iso'], 20],
      [['small.txt'], 290],
    ],
  );
});

test('enough ready entries start a parallel run at once', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('first'));
  await clock.advance(20);
  for (let i = 0; i < 511; i++) s.add(up(`f${i}`));
  await clock.advance(20);
  assert.equal(runs.length, 1, '511 ready: below the threshold, wait for the running run');
  for (let i = 511; i < 600; i++) s.add(up(`f${i}`));
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => [entriesOf(r.batch).length, r.at]),
    [
      [1, 20],
      [600, 60],
    ],
  );
});

test('maxInFlight bounds the runs across all targets', async () => {
  const { s, clock, runs } = harness({ maxInFlight: 2 });
  s.add(up('x'));
  s.add(up('y', R2));
  await clock.advance(20);
  assert.equal(runs.length, 2);
  assert.equal(s.inFlightCount(), 2);
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  assert.equal(runs.length, 3);
});

test('addFull: one full-sync entry absorbs what is queued; later changes go beside it and again after it', async () => {
  const { s, clock, runs, synced } = harness({ targets: [A] });
  s.add(up('a'));
  s.add(up('b/c'));
  s.addFull(R1);
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => r.batch),
    [{ kind: 'full', target: A, attempts: 0 }],
  );
  s.add(up('later'));
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [[''], 0 + 20],
      [['later'], 40],
    ],
    'a realtime change does not wait for the full sync',
  );
  runs[1]!.done.resolve({ kind: 'ok' });
  await drain();
  assert.deepEqual(
    synced.map((x) => x.entries.map((e) => e.path)),
    [['later']],
  );
  await clock.advance(1000);
  assert.equal(runs.length, 2, 'nothing more while the full sync runs');
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => [paths(r.batch), r.at]),
    [
      [[''], 20],
      [['later'], 40],
      [['later'], 1060],
    ],
    "the full sync's file list may predate 'later': it runs again after it",
  );
});

test('idle() resolves once nothing is pending nor in flight', async () => {
  const { s, clock } = harness({ targets: [A], auto: { ms: 100 } });
  let idle = false;
  s.add(up('a'));
  void s.idle().then(() => {
    idle = true;
  });
  await clock.advance(119);
  assert.equal(idle, false);
  await clock.advance(1);
  assert.equal(idle, true);
});

test('close(): no new dispatch, resolves when in-flight runs settle, snapshot keeps everything', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.add(up('a'));
  await clock.advance(20);
  s.add(up('b'));
  let closed = false;
  void s.close().then(() => {
    closed = true;
  });
  assert.deepEqual(
    s.snapshot().map((x) => x.entries.map((e) => e.path).sort()),
    [['a', 'b']],
  );
  await clock.advance(1000);
  assert.equal(runs.length, 1);
  assert.equal(closed, false);
  runs[0]!.done.resolve({ kind: 'failed', reason: 'x' });
  await drain();
  assert.equal(closed, true);
  await clock.advance(10_000);
  assert.equal(runs.length, 1);
  assert.deepEqual(
    s.snapshot().map((x) => x.entries.map((e) => [e.path, e.attempts]).sort()),
    [
      [
        ['a', 1],
        ['b', 0],
      ],
    ],
  );
  assert.equal(clock.timerCount, 0);
});

/** Records what onSynced / onFullSynced report as first-seen times ('<full>' for a full sync). */
function seenRecorder() {
  const seen: [string, readonly number[]][] = [];
  const hooks: Partial<SchedulerOptions> = {
    onSynced: (_t, entries, at) => seen.push([entries.map((e) => e.path).join(), at]),
    onFullSynced: (_t, at) => seen.push(['<full>', at]),
  };
  return { seen, hooks };
}

test('a change for an unknown root is a bug', () => {
  const { s } = harness();
  assert.throws(() => {
    s.add(up('x', '/nope'));
  }, /Internal error/);
});

test('synced paths report when they were first seen; a full sync reports what it absorbed', async () => {
  const { seen, hooks } = seenRecorder();
  const { s, clock, runs } = harness({ targets: [A], ...hooks });
  s.add(up('a'));
  await clock.advance(5);
  s.add(up('a')); // a later change of the same path: the first one counts
  await clock.advance(20);
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  s.add(up('b/c'));
  await clock.advance(3);
  s.addFull(R1);
  await clock.advance(20);
  const full = runs[1];
  assert.equal(full?.batch.kind, 'full');
  full.done.resolve({ kind: 'ok' });
  await drain();
  assert.deepEqual(seen, [
    ['a', [0]],
    ['<full>', [25]],
  ]);
});

test('under random churn, every change seen while a full sync runs is covered by a run started after it', async () => {
  let seed = 777;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const fulls: { start: number; end: number }[] = [];
  const { s, clock, runs, violations } = harness({
    targets: [A],
    maxInFlight: 4,
    auto: { ms: 130, outcome: () => ({ kind: 'ok' }) },
    policy: { parallelMinReady: 3, parallelAfterMs: 30 },
  });
  const beside: { path: string; at: number }[] = [];
  const names = ['a', 'b', 'c'];
  for (let step = 0; step < 2000; step++) {
    const path = Array.from({ length: 1 + rnd(3) }, () => names[rnd(3)]!).join('/');
    const r = rnd(100);
    if (r < 2) s.addFull(R1);
    else {
      s.add({
        root: R1,
        path,
        op: r < 40 ? 'remove' : 'upsert',
        isDir: r % 2 === 0,
        created: r % 3 === 0,
      });
      const running = runs.find((x) => x.batch.kind === 'full' && x.at + 130 > clock.now());
      if (running !== undefined) beside.push({ path, at: running.at + 130 });
    }
    await clock.advance(rnd(15));
  }
  while (s.pendingCount() + s.inFlightCount() > 0) await clock.runNext();
  for (const r of runs) if (r.batch.kind === 'full') fulls.push({ start: r.at, end: r.at + 130 });
  assert.deepEqual(violations, []);
  assert.ok(
    fulls.length > 5 && beside.length > 100,
    `${fulls.length} full syncs, ${beside.length} changes beside them`,
  );
  const uncovered = beside.filter(
    (c) =>
      !runs.some(
        (r) =>
          r.at >= c.at &&
          entriesOf(r.batch).some(
            (e) =>
              overlaps(e.path, c.path) &&
              (e.path === '' || c.path === e.path || c.path.startsWith(`${e.path}/`)),
          ),
      ),
  );
  assert.deepEqual(uncovered, []);
});

test('a file created and removed while a full sync runs is not dropped: its delete goes after it', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.addFull(R1);
  await clock.advance(20);
  s.add({ ...up('tmp'), created: true });
  s.add({ root: R1, path: 'tmp', op: 'remove', isDir: false });
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => [r.batch.kind, entriesOf(r.batch).map((e) => [e.path, e.op])]),
    [
      ['full', [['', 'upsert']]],
      ['paths', [['tmp', 'remove']]],
    ],
    'the full sync may have copied it: the target may hold it',
  );
});

test('a full sync asked for while one runs starts after it; realtime changes keep flowing meanwhile', async () => {
  const { s, clock, runs } = harness({ targets: [A] });
  s.addFull(R1);
  await clock.advance(20);
  s.addFull(R1);
  s.add(up('x'));
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => paths(r.batch)),
    [[''], ['x']],
  );
  runs[1]!.done.resolve({ kind: 'ok' });
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  await clock.advance(20);
  assert.deepEqual(
    runs.map((r) => paths(r.batch)),
    [[''], ['x'], ['']],
    'the second full sync absorbs the re-run of x',
  );
});

test("a full sync's exit 23/24 naming paths: the tree arrived, those paths are retried as paths", async () => {
  const full: [readonly number[], readonly string[]][] = [];
  const { s, clock, runs, retries } = harness({
    targets: [A],
    onFullSynced: (_t, at, kept) => full.push([at, kept.map((e) => e.path).sort()]),
  });
  s.add(up('a'));
  s.addFull(R1);
  await clock.advance(20);
  s.add(up('b')); // beside it
  await clock.advance(20);
  runs[1]!.done.resolve({ kind: 'ok' });
  await drain();
  runs[0]!.done.resolve({ kind: 'partial', failedPaths: ['gone/file', './d/x'] });
  await drain();
  assert.deepEqual(full, [[[0], ['b', 'd/x', 'gone/file']]]);
  assert.deepEqual(
    retries.map((r) => [r.entries.map((e) => e.path), r.delayMs]),
    [[['gone/file', 'd/x'], 1000]],
  );
  await clock.advance(20);
  assert.deepEqual(paths(runs[2]!.batch), ['b'], 'b runs again at once');
  await clock.advance(1000);
  assert.deepEqual(paths(runs[3]!.batch).sort(), ['d/x', 'gone/file']);
});

test('a failed full sync keeps what it carried (and what ran beside it) for its retry', async () => {
  const { seen, hooks } = seenRecorder();
  const { s, clock, runs } = harness({ targets: [A], ...hooks });
  s.add(up('a'));
  s.addFull(R1);
  await clock.advance(20);
  s.add(up('b'));
  await clock.advance(20);
  runs[0]!.done.resolve({ kind: 'failed', reason: 'exit 12' });
  runs[1]!.done.resolve({ kind: 'ok' });
  await drain();
  await clock.advance(1000);
  assert.equal(runs[2]?.batch.kind, 'full');
  runs[2].done.resolve({ kind: 'ok' });
  await drain();
  assert.deepEqual(seen, [
    ['b', [20]],
    ['<full>', [0]],
  ]);
});

test('a remote that is down costs one failing run per back-off step, and its return reopens it', async () => {
  let down = true;
  const { s, clock, runs } = harness({
    targets: [A],
    maxInFlight: 10,
    backoff: { initialMs: 1000, capMs: 8000 },
    auto: {
      ms: 50,
      outcome: () => (down ? { kind: 'failed', reason: 'exit 10' } : { kind: 'ok' }),
    },
  });
  for (let i = 0; i < 6000; i++) s.add(up(`d${i % 30}/f${i}`));
  await clock.advance(20);
  assert.equal(runs.length, 10, 'the first pass spreads the burst over the workers');
  for (let t = 0; t < 20_000; t += 10) {
    if (t === 9000) down = false;
    await clock.advance(10);
  }
  const failing = runs.filter((r) => r.at < 9000);
  // 10 at 20 ms (one back-off step for all), then one probe at 1070, 3120, 7170 (the back-off
  // doubles), 15220 (capped at 8 s).
  assert.deepEqual(
    failing.map((r) => r.at),
    [...Array<number>(10).fill(20), 1070, 3120, 7170],
  );
  const after = runs.filter((r) => r.at >= 9000);
  assert.equal(after[0]!.at, 15_220, 'the next probe after the cap-limited back-off');
  assert.ok(after.length >= 3, 'then the backlog goes in parallel');
  assert.equal(s.pendingCount() + s.inFlightCount(), 0);
  assert.deepEqual(
    [...new Set(after.slice(1).map((r) => r.at))],
    [15_270],
    'all at once when the probe succeeded',
  );
});

test('onSynced names what was queued again meanwhile at a synced path or below a synced directory', async () => {
  const kept: string[][] = [];
  const { s, clock, runs } = harness({
    targets: [A],
    onSynced: (_t, _e, _at, k) => kept.push(k.map((e) => e.path).sort()),
  });
  s.add(up('f'));
  s.add({ root: R1, path: 'd', op: 'upsert', isDir: true });
  s.add(up('other'));
  await clock.advance(20);
  s.add(up('f')); // changed again while in flight
  s.add(up('d/x'));
  s.add(up('elsewhere'));
  runs[0]!.done.resolve({ kind: 'ok' });
  await drain();
  assert.deepEqual(kept, [['d/x', 'f']]);
});
