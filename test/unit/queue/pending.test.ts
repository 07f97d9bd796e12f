// PendingSet: quiet window, coalescing, dir-delete swallowing, create+delete annihilation,
// ordering, busy paths held back, requeue/backoff. Time is a plain number (no clock at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PendingSet, type PendingChange } from '../../../src/queue/pending.js';
import { overlaps } from '../../../src/queue/path-trie.js';
import type { Entry } from '../../../src/queue/types.js';

const Q = 20;
const HOLD = 1000;
const NOT_BUSY = (): boolean => false;
const CLOSED_Q = 2;
const mk = (): PendingSet =>
  new PendingSet({ quietMs: Q, maxHoldMs: HOLD, closedQuietMs: CLOSED_Q });
const up = (path: string, extra: Partial<PendingChange> = {}): PendingChange => ({
  path,
  op: 'upsert',
  isDir: false,
  ...extra,
});
const rm = (path: string, extra: Partial<PendingChange> = {}): PendingChange => ({
  path,
  op: 'remove',
  isDir: false,
  ...extra,
});
const take = (p: PendingSet, now: number, max = 1000): Entry[] => p.takeReady(now, NOT_BUSY, max);
const paths = (es: readonly Entry[]): string[] => es.map((e) => e.path);

test('a change is ready quietMs after its last event, not before', () => {
  const p = mk();
  p.add(up('a'), 100);
  assert.equal(p.nextReadyAt(), 120);
  assert.deepEqual(take(p, 119), []);
  assert.deepEqual(take(p, 120), [{ path: 'a', op: 'upsert', isDir: false, attempts: 0 }]);
  assert.equal(p.size, 0);
  assert.equal(p.nextReadyAt(), null);
});

test('after a close_write a path waits only closedQuietMs; any other change brings the whole window back', () => {
  const p = mk();
  p.add(up('f', { closed: true }), 100);
  assert.equal(p.nextReadyAt(), 100 + CLOSED_Q);
  p.add(up('g'), 100);
  p.add(up('g', { closed: true }), 101); // create/modify, then close: the close decides
  p.add(up('h', { closed: true }), 100);
  p.add(up('h'), 101); // written again after the close
  assert.deepEqual(paths(take(p, 103)).sort(), ['f', 'g']);
  assert.deepEqual(take(p, 120), []);
  assert.deepEqual(paths(take(p, 121)), ['h']);
});

test('a close_write right before the file is renamed away or unlinked still coalesces (temp files)', () => {
  const p = mk();
  p.add(up('tmp.1', { created: true }), 100);
  p.add(up('tmp.1', { closed: true }), 100);
  p.add(rm('tmp.1'), 101); // mv tmp.1 final (moveFrom): created and gone inside the window
  assert.equal(p.size, 0);
});

test("a close_write below a queued directory does not shorten the directory's window", () => {
  const p = mk();
  p.add(up('d', { isDir: true, created: true }), 100);
  p.add(up('d/f', { closed: true }), 105);
  assert.deepEqual(take(p, 110), []);
  assert.deepEqual(paths(take(p, 125)), ['d']);
});

test('events on one path inside the window coalesce into one entry and extend the window', () => {
  const p = mk();
  for (let t = 0; t <= 50; t += 10) p.add(up('f'), t);
  assert.equal(p.size, 1);
  assert.deepEqual(take(p, 69), []);
  assert.deepEqual(paths(take(p, 70)), ['f']);
});

test('a constantly written file is still ready maxHoldMs after its first event', () => {
  const p = mk();
  for (let t = 0; t < 3000; t += 10) p.add(up('log'), t);
  assert.equal(p.nextReadyAt(), HOLD);
  assert.deepEqual(paths(take(p, HOLD)), ['log']);
});

test('a directory delete swallows everything queued below it (not siblings)', () => {
  const p = mk();
  p.add(up('d/a'), 0);
  p.add(up('d/sub/b', { created: true }), 0);
  p.add(rm('d/sub/c'), 0);
  p.add(up('dx/keep'), 0);
  p.add(rm('d', { isDir: true }), 5);
  assert.deepEqual(
    take(p, 100).sort((x, y) => x.path.localeCompare(y.path)),
    [
      { path: 'd', op: 'remove', isDir: true, attempts: 0 },
      { path: 'dx/keep', op: 'upsert', isDir: false, attempts: 0 },
    ],
  );
});

test('rm -rf: removals wait while their directory is still being emptied, then the directory swallows them', () => {
  const p = mk();
  for (let t = 0; t < 300; t++) p.add(rm(`d0/f${t}`), t); // one unlink per ms, for 300 ms
  assert.deepEqual(take(p, 299), [], 'nothing ready while d0 is still being emptied');
  p.add(rm('d0', { isDir: true }), 300);
  assert.deepEqual(take(p, 320), [{ path: 'd0', op: 'remove', isDir: true, attempts: 0 }]);
  assert.equal(p.size, 0);
});

test('removals in one directory leave together once it is quiet; other directories and upserts are not held', () => {
  const p = mk();
  p.add(rm('a/x'), 0);
  p.add(up('a/new'), 5);
  p.add(rm('b/y'), 10);
  p.add(rm('a/z'), 15);
  assert.deepEqual(paths(take(p, 25)), ['a/new']);
  assert.deepEqual(paths(take(p, 30)), ['b/y']);
  assert.deepEqual(paths(take(p, 34)), []);
  assert.deepEqual(paths(take(p, 35)).sort(), ['a/x', 'a/z']);
});

test('a directory emptied for longer than maxHoldMs still sends its removals maxHoldMs after the first', () => {
  const p = mk();
  const sent: [number, number][] = [];
  for (let t = 0; t < 2500; t += 5) {
    p.add(rm(`big/f${t}`), t);
    const out = take(p, t);
    if (out.length > 0) sent.push([t, out.length]);
  }
  const all = sent.reduce((n, [, k]) => n + k, 0) + take(p, 2500 + Q).length;
  assert.equal(all, 500, 'every removal is sent');
  assert.ok(
    sent.length <= 8,
    `in few groups, about one per maxHoldMs, not one per file: ${JSON.stringify(sent)}`,
  );
  assert.ok(
    (sent[0]?.[0] ?? Infinity) <= HOLD + Q,
    'the first group goes within maxHoldMs (+ quietMs)',
  );
});

test('a file created and deleted inside the window sends nothing', () => {
  const p = mk();
  p.add(up('tmp.123', { created: true }), 0);
  p.add(up('tmp.123'), 1); // closeWrite
  p.add(rm('tmp.123'), 2);
  assert.equal(p.size, 0);
  assert.deepEqual(take(p, 100), []);
});

test('create+delete is NOT dropped when the first queued event was not the create', () => {
  const p = mk();
  p.add(up('f'), 0); // closeWrite only: the file may exist at the target
  p.add(rm('f'), 1);
  assert.deepEqual(take(p, 100), [{ path: 'f', op: 'remove', isDir: false, attempts: 0 }]);
  const q = mk();
  q.add(rm('g'), 0); // delete, re-create, delete: the target still has the old g
  q.add(up('g', { created: true }), 1);
  q.add(rm('g'), 2);
  assert.deepEqual(paths(take(q, 100)), ['g']);
});

test('create+delete is NOT dropped when a run touching the path was in flight at the create', () => {
  const p = mk();
  p.add(up('a/f', { created: true }), 0, (path) => path === 'a/f'); // e.g. 'a' being synced
  p.add(rm('a/f'), 1);
  assert.equal(p.size, 1);
});

test('a directory created then removed with content inside the window sends nothing', () => {
  const p = mk();
  p.add(up('new', { isDir: true, created: true }), 0);
  p.add(up('new/f', { created: true }), 1);
  p.add(up('new/sub', { isDir: true, created: true }), 2);
  p.add(rm('new/sub', { isDir: true }), 3);
  p.add(rm('new', { isDir: true }), 4);
  assert.equal(p.size, 0);
});

test('a queued directory upsert absorbs later changes below it (one entry per new tree)', () => {
  const p = mk();
  p.add(up('tree', { isDir: true, created: true }), 0);
  for (let i = 0; i < 500; i++) p.add(up(`tree/d${i % 7}/f${i}`, { created: true }), 1 + i / 100);
  p.add(rm('tree/d1/f1'), 7);
  assert.equal(p.size, 1);
  assert.deepEqual(take(p, 7 + Q), [{ path: 'tree', op: 'upsert', isDir: true, attempts: 0 }]);
});

test('a new directory upsert swallows what was queued below it earlier, keeping the earliest hold', () => {
  const p = mk();
  p.add(up('t/a'), 0);
  for (let t = 10; t < 2000; t += 10) p.add(up('t', { isDir: true }), t); // attrib storm on t
  assert.equal(p.size, 1);
  assert.equal(p.nextReadyAt(), HOLD); // t/a's first event still bounds the wait
});

test('an upsert below a queued remove means the directory is back: a directory upsert', () => {
  const p = mk();
  p.add(rm('d'), 0);
  p.add(up('d/f'), 1);
  assert.deepEqual(take(p, 100), [{ path: 'd', op: 'upsert', isDir: true, attempts: 0 }]);
});

test('a full-sync entry ("") absorbs everything queued and everything after it', () => {
  const p = mk();
  p.add(up('a'), 0);
  p.add(rm('b/c'), 0);
  p.add({ path: '', op: 'upsert', isDir: true }, 1);
  p.add(up('z/y'), 2);
  assert.deepEqual(take(p, 100), [{ path: '', op: 'upsert', isDir: true, attempts: 0 }]);
});

test('takeReady returns the oldest ready first and respects max', () => {
  const p = mk();
  p.add(up('c'), 3);
  p.add(up('a'), 1);
  p.add(up('b'), 2);
  p.add(up('late'), 50);
  assert.equal(p.readyCount(30), 3);
  assert.equal(p.oldestReadyAt(30), 21);
  assert.deepEqual(paths(take(p, 30, 2)), ['a', 'b']);
  assert.deepEqual(paths(take(p, 30, 2)), ['c']);
  assert.equal(p.nextReadyAt(), 70);
});

test('busy paths are held back, not counted, and come back on release', () => {
  const p = mk();
  const inFlight = new Set(['x']);
  const busy = (path: string): boolean => [...inFlight].some((f) => overlaps(f, path));
  p.add(up('x/1'), 0, busy); // held from the start
  p.add(up('y'), 0, busy);
  assert.equal(p.readyCount(100), 1);
  assert.deepEqual(paths(p.takeReady(100, busy, 10)), ['y']);
  assert.equal(p.nextReadyAt(), null); // nothing to wait for in time: only a release helps
  p.released(busy);
  assert.equal(p.readyCount(100), 0);
  inFlight.clear();
  p.released(busy);
  assert.deepEqual(paths(p.takeReady(100, busy, 10)), ['x/1']);
});

test('a ready entry found busy at take time is held, then released', () => {
  const p = mk();
  p.add(up('a'), 0);
  let busyA = true;
  const busy = (path: string): boolean => busyA && path === 'a';
  assert.deepEqual(p.takeReady(50, busy, 10), []);
  assert.equal(p.readyCount(50), 0);
  busyA = false;
  p.released(busy);
  assert.deepEqual(paths(p.takeReady(50, busy, 10)), ['a']);
});

test('requeue: attempts + 1, ready at notBefore, never born', () => {
  const p = mk();
  p.requeue({ path: 'f', op: 'upsert', isDir: false, attempts: 0 }, 1000);
  assert.equal(p.nextReadyAt(), 1000);
  assert.deepEqual(take(p, 999), []);
  assert.deepEqual(take(p, 1000), [{ path: 'f', op: 'upsert', isDir: false, attempts: 1 }]);
  p.requeue({ path: 'g', op: 'upsert', isDir: false, attempts: 2 }, 5000);
  p.add(rm('g'), 10);
  assert.deepEqual(take(p, 5000), [{ path: 'g', op: 'remove', isDir: false, attempts: 3 }]);
});

test('requeue onto a newer queued change keeps the newer op and waits for the backoff', () => {
  const p = mk();
  p.add(rm('f'), 0);
  assert.equal(p.readyCount(30), 1); // already ready...
  p.requeue({ path: 'f', op: 'upsert', isDir: false, attempts: 0 }, 1000);
  assert.deepEqual(take(p, 30), []); // ...but now it waits for the retry delay
  assert.deepEqual(take(p, 1000), [{ path: 'f', op: 'remove', isDir: false, attempts: 1 }]);
});

test('requeue below a queued directory is absorbed by it; requeue of a directory swallows what is below', () => {
  const p = mk();
  p.add(up('d', { isDir: true }), 0);
  p.requeue({ path: 'd/f', op: 'upsert', isDir: false, attempts: 0 }, 500);
  assert.deepEqual(take(p, 500), [{ path: 'd', op: 'upsert', isDir: true, attempts: 1 }]);
  p.add(up('e/1'), 0);
  p.requeue({ path: 'e', op: 'upsert', isDir: true, attempts: 1 }, 2000);
  assert.deepEqual(take(p, 2000), [{ path: 'e', op: 'upsert', isDir: true, attempts: 2 }]);
});

test('a requeued removal with newer upserts queued below it becomes a directory upsert', () => {
  const p = mk();
  p.add(up('d/new'), 0); // d was re-created while its removal was in flight
  p.requeue({ path: 'd', op: 'remove', isDir: true, attempts: 0 }, 1000);
  assert.deepEqual(take(p, 1000), [{ path: 'd', op: 'upsert', isDir: true, attempts: 1 }]);
  p.add(up('e/x'), 0); // whereas a NEW removal of e is the newest word
  p.add(rm('e', { isDir: true }), 1);
  assert.deepEqual(take(p, 100), [{ path: 'e', op: 'remove', isDir: true, attempts: 0 }]);
});

test('entries() lists everything queued, including held entries', () => {
  const p = mk();
  p.add(up('a'), 0);
  p.add(up('b'), 0, () => true);
  assert.deepEqual(paths(p.entries()).sort(), ['a', 'b']);
});

// Property: whatever arrives, queued paths never overlap, and every changed path stays covered by
// a queued entry until taken (no `created`, so nothing may be annihilated).
const seg = fc.constantFrom('a', 'b', 'c');
const changeArb = fc.record({
  path: fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  op: fc.constantFrom('upsert' as const, 'remove' as const),
  isDir: fc.boolean(),
});

test('queued paths never overlap and every change stays covered (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(changeArb, fc.nat(40)), { maxLength: 80 }), (steps) => {
      const p = mk();
      let now = 0;
      const uncovered = new Set<string>();
      for (const [change, dt] of steps) {
        now += dt;
        p.add(change, now);
        uncovered.add(change.path);
        for (const e of take(p, now, 3))
          for (const u of [...uncovered])
            if (
              overlaps(e.path, u) &&
              (e.path === '' || u === e.path || u.startsWith(`${e.path}/`))
            )
              uncovered.delete(u);
        const queued = paths(p.entries());
        for (let i = 0; i < queued.length; i++)
          for (let j = i + 1; j < queued.length; j++) {
            assert.ok(!overlaps(queued[i]!, queued[j]!), `overlap: ${queued[i]} ${queued[j]}`);
          }
        for (const u of uncovered)
          assert.ok(
            queued.some((q) => q === u || u.startsWith(`${q}/`)),
            `lost ${u}`,
          );
      }
    }),
  );
});

test('renamedFrom: kept on a directory upsert and through writes inside it', () => {
  const p = mk();
  p.add(rm('old', { isDir: true }), 0);
  p.add(up('new', { isDir: true, renamedFrom: 'old' }), 0);
  p.add(up('new/f.txt'), 5);
  p.add(up('new', { isDir: true }), 6); // e.g. attrib on the directory itself
  assert.deepEqual(take(p, 100), [
    { path: 'old', op: 'remove', isDir: true, attempts: 0 },
    { path: 'new', op: 'upsert', isDir: true, attempts: 0, renamedFrom: 'old' },
  ]);
});

test('renamedFrom: dropped when the directory goes away, on requeue, and never on files', () => {
  const p = mk();
  p.add(up('new', { isDir: true, renamedFrom: 'old' }), 0);
  p.add(rm('new', { isDir: true }), 1);
  p.add(up('new', { isDir: true }), 2);
  assert.deepEqual(take(p, 100), [{ path: 'new', op: 'upsert', isDir: true, attempts: 0 }]);
  p.requeue({ path: 'n2', op: 'upsert', isDir: true, attempts: 0, renamedFrom: 'o2' }, 200);
  p.add(up('n3', { isDir: true, renamedFrom: 'o3' }), 150);
  p.requeue({ path: 'n3', op: 'upsert', isDir: true, attempts: 0, renamedFrom: 'o3' }, 200);
  p.add(up('file', { renamedFrom: 'x' }), 150);
  assert.deepEqual(
    take(p, 1000).map((e) => 'renamedFrom' in e),
    [false, false, false],
  );
});

test('renamedFrom: the queued removal of the old path becomes ready with the renamed directory', () => {
  const p = mk();
  p.add(rm('old', { isDir: true }), 0);
  p.add(up('new', { isDir: true, renamedFrom: 'old' }), 5);
  assert.deepEqual(take(p, Q), []);
  assert.deepEqual(paths(take(p, 5 + Q)), ['old', 'new']);
});
