// Every cell of the merge decision table, plus the descendant rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SAME_PATH,
  absorbDescendant,
  combine,
  keptRenamedFrom,
  verdict,
  type SlotState,
  type Verdict,
} from '../../../src/queue/combine.js';
import type { Op } from '../../../src/queue/types.js';

const OPS: Op[] = ['upsert', 'remove'];

// [queued op, queued born, incoming op, expected verdict, expected result (null = annihilated)]
const CELLS: [Op, boolean, Op, Verdict, SlotState | null][] = [
  ['upsert', false, 'upsert', 'absorb', { op: 'upsert', isDir: false, born: false }],
  ['upsert', true, 'upsert', 'absorb', { op: 'upsert', isDir: false, born: true }],
  ['upsert', false, 'remove', 'replace', { op: 'remove', isDir: false, born: false }],
  ['upsert', true, 'remove', 'annihilate', null],
  ['remove', false, 'upsert', 'replace', { op: 'upsert', isDir: false, born: false }],
  ['remove', true, 'upsert', 'replace', { op: 'upsert', isDir: false, born: false }],
  ['remove', false, 'remove', 'absorb', { op: 'remove', isDir: false, born: false }],
  ['remove', true, 'remove', 'absorb', { op: 'remove', isDir: false, born: true }],
];

for (const [qop, born, nop, v, result] of CELLS) {
  test(`same path: queued ${qop}${born ? ' (born)' : ''} + ${nop} -> ${v}`, () => {
    const queued: SlotState = { op: qop, isDir: false, born };
    assert.equal(verdict(queued, { op: nop, isDir: false }), v);
    assert.deepEqual(combine(queued, { op: nop, isDir: false }), result);
  });
}

test('the table is total: every op pair has a born and an existed verdict', () => {
  for (const a of OPS)
    for (const b of OPS) {
      assert.ok(['absorb', 'replace', 'annihilate'].includes(SAME_PATH[a][b].born));
      assert.ok(['absorb', 'replace', 'annihilate'].includes(SAME_PATH[a][b].existed));
    }
  assert.equal(CELLS.length, OPS.length * OPS.length * 2);
});

test('an upsert takes the newest type; a remove keeps "directory" if either side says so', () => {
  assert.deepEqual(
    combine({ op: 'upsert', isDir: false, born: false }, { op: 'upsert', isDir: true }),
    { op: 'upsert', isDir: true, born: false },
  );
  assert.deepEqual(
    combine({ op: 'upsert', isDir: true, born: false }, { op: 'remove', isDir: false }),
    { op: 'remove', isDir: true, born: false },
  );
  assert.deepEqual(
    combine({ op: 'remove', isDir: true, born: false }, { op: 'upsert', isDir: false }),
    { op: 'upsert', isDir: false, born: false },
  );
});

test('a descendant upsert turns a queued ancestor into a directory upsert; a descendant remove changes nothing', () => {
  assert.deepEqual(absorbDescendant({ op: 'remove', isDir: false, born: false }, 'upsert'), {
    op: 'upsert',
    isDir: true,
    born: false,
  });
  assert.deepEqual(absorbDescendant({ op: 'upsert', isDir: true, born: true }, 'upsert'), {
    op: 'upsert',
    isDir: true,
    born: true,
  });
  assert.deepEqual(absorbDescendant({ op: 'remove', isDir: true, born: false }, 'remove'), {
    op: 'remove',
    isDir: true,
    born: false,
  });
  assert.deepEqual(absorbDescendant({ op: 'upsert', isDir: true, born: true }, 'remove'), {
    op: 'upsert',
    isDir: true,
    born: true,
  });
});

test('keptRenamedFrom: only a directory upsert keeps a hint; the newest one wins', () => {
  const dirUp: SlotState = { op: 'upsert', isDir: true, born: false };
  assert.equal(keptRenamedFrom({ op: 'upsert', renamedFrom: 'o' }, { op: 'upsert' }, dirUp), 'o');
  assert.equal(
    keptRenamedFrom({ op: 'upsert', renamedFrom: 'o' }, { op: 'upsert', renamedFrom: 'p' }, dirUp),
    'p',
  );
  assert.equal(keptRenamedFrom({ op: 'remove' }, { op: 'upsert', renamedFrom: 'p' }, dirUp), 'p');
  assert.equal(
    keptRenamedFrom(
      { op: 'upsert', renamedFrom: 'o' },
      { op: 'remove' },
      { op: 'remove', isDir: true, born: false },
    ),
    undefined,
  );
  assert.equal(
    keptRenamedFrom(
      { op: 'upsert', renamedFrom: 'o' },
      { op: 'upsert' },
      { op: 'upsert', isDir: false, born: false },
    ),
    undefined,
  );
});
