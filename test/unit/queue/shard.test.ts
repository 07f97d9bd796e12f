// shard(): batch count and sizes, limits, never overlapping, order kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { shard } from '../../../src/queue/shard.js';
import { overlaps } from '../../../src/queue/path-trie.js';
import type { Entry, Target } from '../../../src/queue/types.js';

const T: Target = { key: '/w\u00000', root: '/w', remoteIndex: 0 };
const files = (n: number): Entry[] =>
  Array.from({ length: n }, (_, i) => ({ path: `f${i}`, op: 'upsert', isDir: false, attempts: 0 }));
const sizes = (n: number, shards: number, maxEntries = 2000, minEntries = 256): number[] =>
  shard(T, files(n), { shards, maxEntries, minEntries }).map((b) => b.entries.length);

test('nothing in, nothing out', () => {
  assert.deepEqual(shard(T, [], { shards: 4, maxEntries: 10, minEntries: 1 }), []);
});

test('a lone entry is one batch for its target', () => {
  const [b, ...rest] = shard(T, files(1), { shards: 8, maxEntries: 10, minEntries: 5 });
  assert.equal(rest.length, 0);
  assert.equal(b!.target, T);
  assert.deepEqual(
    b!.entries.map((e) => e.path),
    ['f0'],
  );
});

test('small sets are not split just because workers are free', () => {
  assert.deepEqual(sizes(255, 10), [255]);
  assert.deepEqual(sizes(300, 10), [300]);
  assert.deepEqual(sizes(512, 10), [256, 256]);
});

test('big sets spread over the allowed shards, sizes differing by at most one', () => {
  assert.deepEqual(sizes(5000, 10), Array(10).fill(500));
  assert.deepEqual(sizes(1001, 4, 2000, 100), [251, 250, 250, 250]);
  assert.deepEqual(sizes(1000, 10), [334, 333, 333]); // never below minEntries
  assert.equal(sizes(5000, 3).length, 3);
});

test('maxEntries wins over minEntries', () => {
  assert.deepEqual(sizes(25, 5, 5, 100), [5, 5, 5, 5, 5]);
});

test('more than shards * maxEntries is a caller bug', () => {
  assert.throws(
    () => shard(T, files(11), { shards: 2, maxEntries: 5, minEntries: 1 }),
    /Internal error/,
  );
  assert.throws(
    () => shard(T, files(1), { shards: 0, maxEntries: 5, minEntries: 1 }),
    /Internal error/,
  );
});

test('entries below another listed entry (or duplicates) are dropped, so batches never overlap', () => {
  const es: Entry[] = [
    { path: 'a/b/c', op: 'upsert', isDir: false, attempts: 0 },
    { path: 'a', op: 'remove', isDir: true, attempts: 0 },
    { path: 'a-b', op: 'upsert', isDir: false, attempts: 0 },
    { path: 'a-b', op: 'upsert', isDir: false, attempts: 0 },
  ];
  const out = shard(T, es, { shards: 4, maxEntries: 1, minEntries: 1 });
  assert.deepEqual(
    out.map((b) => b.entries.map((e) => e.path)),
    [['a'], ['a-b']],
  );
  const full = shard(T, [...es, { path: '', op: 'upsert', isDir: true, attempts: 0 }], {
    shards: 4,
    maxEntries: 1,
    minEntries: 1,
  });
  assert.deepEqual(
    full.map((b) => b.entries.map((e) => e.path)),
    [['']],
  );
});

const entryArb = fc.record({
  path: fc
    .array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 3 })
    .map((s) => s.join('/')),
  op: fc.constantFrom('upsert' as const, 'remove' as const),
  isDir: fc.boolean(),
  attempts: fc.nat(3),
});

test('limits hold and no two entries overlap across all batches (property)', () => {
  fc.assert(
    fc.property(
      fc.array(entryArb, { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 8 }),
      (es, shards, maxEntries, minEntries) => {
        let out;
        try {
          out = shard(T, es, { shards, maxEntries, minEntries });
        } catch {
          return; // too many for the limits: covered by the explicit test above
        }
        assert.ok(out.length <= shards);
        const all = out.flatMap((b) => b.entries);
        for (const b of out) assert.ok(b.entries.length >= 1 && b.entries.length <= maxEntries);
        for (let i = 0; i < all.length; i++)
          for (let j = i + 1; j < all.length; j++) assert.ok(!overlaps(all[i]!.path, all[j]!.path));
        // Everything listed is covered by what is kept.
        for (const e of es)
          assert.ok(
            all.some((k) => k.path === '' || k.path === e.path || e.path.startsWith(`${k.path}/`)),
          );
      },
    ),
  );
});
