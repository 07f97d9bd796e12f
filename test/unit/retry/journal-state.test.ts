// JournalState, table-driven: which records change the state (and so get written), the
// first-seen order, subtree 'done's, and the live byte count compaction decides on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodedSize, type JournalRecord } from '../../../src/retry/journal-codec.js';
import { JournalState } from '../../../src/retry/journal-state.js';

const pending = (path: string, extra: Partial<JournalRecord> = {}): JournalRecord => ({
  kind: 'pending',
  targetKey: 't',
  path,
  ...extra,
});
const done = (path: string, subtree = false, targetKey = 't'): JournalRecord => ({
  kind: 'done',
  targetKey,
  path,
  subtree,
});

test('apply says whether each record changes the state', () => {
  const rows: [string, JournalRecord, boolean][] = [
    ['new pending', pending('a'), true],
    ['same pending again', pending('a'), false],
    ['same, spelled out', pending('a', { op: 'upsert', isDir: false }), false],
    ['op changes', pending('a', { op: 'remove' }), true],
    ['isDir changes', pending('a', { op: 'remove', isDir: true }), true],
    ['done for it', done('a'), true],
    ['done again', done('a'), false],
    ['done on an unknown target', done('a', false, 'other'), false],
  ];
  const s = new JournalState();
  for (const [name, r, changed] of rows) assert.equal(s.apply(r), changed, name);
  assert.equal(s.outstanding().size, 0);
});

test('outstanding keeps first-seen order and is a copy', () => {
  const s = new JournalState();
  for (const p of ['b', 'a', 'c']) s.apply(pending(p));
  s.apply(pending('b', { op: 'remove', isDir: true })); // keeps its place
  const out = s.outstanding();
  assert.deepEqual(out.get('t'), [
    { path: 'b', op: 'remove', isDir: true },
    { path: 'a', op: 'upsert', isDir: false },
    { path: 'c', op: 'upsert', isDir: false },
  ]);
  out.get('t')!.length = 0;
  assert.equal(s.outstanding().get('t')!.length, 3);
  assert.deepEqual(
    [...s.records()].map((r) => r.path),
    ['b', 'a', 'c'],
  );
});

test('a subtree done drops the directory and everything under it, not its namesakes', () => {
  const s = new JournalState();
  for (const p of ['d', 'd/x', 'd/y/z', 'dd', 'e']) s.apply(pending(p));
  assert.equal(s.apply(done('d', true)), true);
  assert.deepEqual(
    s
      .outstanding()
      .get('t')!
      .map((o) => o.path),
    ['dd', 'e'],
  );
  assert.equal(s.apply(done('', true)), true, "'' is the whole target");
  assert.equal(s.outstanding().has('t'), false);
});

test('liveBytes is the encoded size of the live records', () => {
  const s = new JournalState();
  assert.equal(s.liveBytes, 0);
  s.apply(pending('a'));
  s.apply(pending('bb'));
  s.apply(pending('a', { op: 'remove' }));
  assert.equal(s.liveBytes, encodedSize('t', 'a') + encodedSize('t', 'bb'));
  s.apply(done('a'));
  assert.equal(s.liveBytes, encodedSize('t', 'bb'));
  s.apply(done('bb'));
  assert.equal(s.liveBytes, 0);
});

test('a subtree done that is not outstanding itself still drops what is below it', () => {
  const s = new JournalState();
  for (const p of ['a/b/c', 'a/b/d', 'a/bc', 'x']) s.apply(pending(p));
  assert.equal(s.apply(done('a/b', true)), true);
  assert.equal(s.apply(done('a/b', true)), false, 'nothing left below it');
  assert.deepEqual(
    s
      .outstanding()
      .get('t')!
      .map((o) => o.path),
    ['a/bc', 'x'],
  );
  s.apply(pending('a/b/c')); // re-pending after a subtree done comes back, last in order
  assert.deepEqual(
    s
      .outstanding()
      .get('t')!
      .map((o) => o.path),
    ['a/bc', 'x', 'a/b/c'],
  );
});

/** The definition of a subtree 'done': every outstanding path equal to it or below it goes. */
function naiveApply(m: Map<string, Map<string, string>>, r: JournalRecord): boolean {
  let paths = m.get(r.targetKey);
  if (r.kind === 'pending') {
    const v = `${r.op ?? 'upsert'}${String(r.isDir ?? false)}`;
    if (paths?.get(r.path) === v) return false;
    if (paths === undefined) m.set(r.targetKey, (paths = new Map<string, string>()));
    paths.set(r.path, v);
    return true;
  }
  if (paths === undefined) return false;
  const prefix = r.path === '' ? '' : `${r.path}/`;
  let changed = false;
  for (const p of [...paths.keys()])
    if (p === r.path || (r.subtree === true && p.startsWith(prefix)))
      changed = paths.delete(p) || changed;
  if (paths.size === 0) m.delete(r.targetKey);
  return changed;
}

test('property: the trie-indexed state agrees with the plain prefix scan', () => {
  const seg = fc.constantFrom('a', 'b', 'ab', '');
  const path = fc.array(seg, { minLength: 0, maxLength: 4 }).map((s) => s.join('/'));
  const record: fc.Arbitrary<JournalRecord> = fc.oneof(
    fc.record({
      kind: fc.constant('pending' as const),
      targetKey: fc.constantFrom('t', 'u'),
      path,
      op: fc.constantFrom('upsert' as const, 'remove' as const),
      isDir: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('done' as const),
      targetKey: fc.constantFrom('t', 'u'),
      path,
      subtree: fc.boolean(),
    }),
  );
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), (records) => {
      const s = new JournalState();
      const m = new Map<string, Map<string, string>>();
      for (const r of records) assert.equal(s.apply(r), naiveApply(m, r));
      const got = [...s.outstanding()].map(([k, ps]) => [k, ps.map((p) => p.path)]);
      const want = [...m].map(([k, ps]) => [k, [...ps.keys()]]);
      assert.deepEqual(got, want);
      assert.equal(
        s.liveBytes,
        [...m].reduce(
          (n, [k, ps]) => n + [...ps.keys()].reduce((b, p) => b + encodedSize(k, p), 0),
          0,
        ),
      );
    }),
    { numRuns: 500 },
  );
});
