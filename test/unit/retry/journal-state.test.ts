// JournalState, table-driven: which records change the state (and so get written), the
// first-seen order, subtree 'done's, and the live byte count compaction decides on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
