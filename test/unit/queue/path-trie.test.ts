// PathTrie against a naive model (fast-check), plus the '' root semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PathTrie, overlaps } from '../../../src/queue/path-trie.js';

const isStrictAncestor = (a: string, b: string): boolean =>
  a !== b && (a === '' || b.startsWith(`${a}/`));

test('overlaps: same, ancestor, descendant and the root; not siblings or prefixes of names', () => {
  assert.equal(overlaps('a', 'a'), true);
  assert.equal(overlaps('a', 'a/b'), true);
  assert.equal(overlaps('a/b/c', 'a'), true);
  assert.equal(overlaps('', 'x/y'), true);
  assert.equal(overlaps('a', 'ab'), false);
  assert.equal(overlaps('a-b', 'a/b'), false);
  assert.equal(overlaps('a/b', 'a/c'), false);
});

test('the root path "" is an ancestor of everything', () => {
  const t = new PathTrie<number>();
  t.set('', 1);
  assert.equal(t.nearestAncestor('a/b'), 1);
  assert.equal(t.overlapsAny('z'), true);
  assert.equal(t.hasDescendant(''), false);
  t.set('q/r', 2);
  assert.deepEqual(t.takeDescendants('').sort(), [2]);
  assert.equal(t.size, 1);
});

const pathArb = fc
  .array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 4 })
  .map((s) => s.join('/'));
const opArb = fc.oneof(
  fc.record({ k: fc.constant('set' as const), p: pathArb, v: fc.integer() }),
  fc.record({ k: fc.constant('delete' as const), p: pathArb }),
  fc.record({ k: fc.constant('take' as const), p: pathArb }),
);

test('behaves like a Map with ancestor queries (property)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), pathArb, (ops, probe) => {
      const t = new PathTrie<number>();
      const m = new Map<string, number>();
      for (const op of ops) {
        if (op.k === 'set') {
          t.set(op.p, op.v);
          m.set(op.p, op.v);
        } else if (op.k === 'delete') assert.equal(t.delete(op.p), m.delete(op.p));
        else {
          const want = [...m]
            .filter(([k]) => isStrictAncestor(op.p, k))
            .map(([, v]) => v)
            .sort();
          for (const [k] of m) if (isStrictAncestor(op.p, k)) m.delete(k);
          assert.deepEqual(t.takeDescendants(op.p).sort(), want);
        }
      }
      assert.equal(t.size, m.size);
      assert.deepEqual(new Map(t.entries()), m);
      const keys = [...m.keys()];
      assert.equal(
        t.hasAncestor(probe),
        keys.some((k) => isStrictAncestor(k, probe)),
      );
      assert.equal(
        t.hasDescendant(probe),
        keys.some((k) => isStrictAncestor(probe, k)),
      );
      assert.equal(
        t.overlapsAny(probe),
        keys.some((k) => overlaps(k, probe)),
      );
      const anc = keys
        .filter((k) => isStrictAncestor(k, probe))
        .sort((x, y) => y.length - x.length)[0];
      assert.equal(t.nearestAncestor(probe), anc === undefined ? undefined : m.get(anc));
    }),
  );
});
