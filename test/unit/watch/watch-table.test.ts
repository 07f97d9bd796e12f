// Unit tests for the pure wd <-> path table (subtree rename and removal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchTable, joinRel, parentOf } from '../../../src/watch/watch-table.js';

function table(pairs: readonly (readonly [number, string])[]): WatchTable {
  const t = new WatchTable();
  for (const [wd, p] of pairs) t.add(wd, p);
  return t;
}

function snapshot(t: WatchTable): string[] {
  return [...t.entries()].map(([wd, p]) => `${wd}:${p}`).sort();
}

const TREE = [
  [1, ''],
  [2, 'a'],
  [3, 'a/b'],
  [4, 'a/b/c'],
  [5, 'ab'],
  [6, 'x'],
] as const;

test('parentOf and joinRel', () => {
  assert.equal(parentOf(''), undefined);
  assert.equal(parentOf('a'), '');
  assert.equal(parentOf('a/b/c'), 'a/b');
  assert.equal(joinRel('', 'n'), 'n');
  assert.equal(joinRel('a/b', 'n'), 'a/b/n');
});

test('add reports new watches and lookups work both ways', () => {
  const t = new WatchTable();
  assert.equal(t.add(1, ''), true);
  assert.equal(t.add(2, 'a'), true);
  assert.equal(t.add(2, 'a'), false, 'same wd at the same path is not new');
  assert.equal(t.pathOf(2), 'a');
  assert.equal(t.wdOf('a'), 2);
  assert.equal(t.pathOf(99), undefined);
  assert.equal(t.size, 2);
});

test('add replaces an older wd at the same path and an older path of the same wd', () => {
  const t = table([
    [1, ''],
    [2, 'a'],
  ]);
  t.add(7, 'a');
  assert.equal(t.wdOf('a'), 7);
  assert.equal(t.pathOf(2), undefined);
  t.add(7, 'z');
  assert.equal(t.wdOf('a'), undefined);
  assert.deepEqual(snapshot(t), ['1:', '7:z']);
});

test('subtree lists the path and its descendants only (not siblings sharing a prefix)', () => {
  const t = table(TREE);
  assert.deepEqual(t.subtree('a').sort(), ['a', 'a/b', 'a/b/c']);
  assert.deepEqual(t.subtree('ab'), ['ab']);
  assert.deepEqual(t.subtree('nope'), []);
});

test('removeSubtree forgets the directory and all descendants and returns their wds', () => {
  const t = table(TREE);
  assert.deepEqual(t.removeSubtree('a').sort(), [2, 3, 4]);
  assert.deepEqual(snapshot(t), ['1:', '5:ab', '6:x']);
  assert.equal(t.pathOf(4), undefined);
});

test('removeWd forgets one watch; its children keep theirs', () => {
  const t = table(TREE);
  assert.equal(t.removeWd(3), 'a/b');
  assert.equal(t.removeWd(3), undefined);
  assert.equal(t.pathOf(4), 'a/b/c');
  assert.deepEqual(t.subtree('a').sort(), ['a']);
});

test('renameSubtree moves every descendant watch to the new path', () => {
  const t = table(TREE);
  assert.deepEqual(t.renameSubtree('a', 'x/n'), []);
  assert.equal(t.pathOf(2), 'x/n');
  assert.equal(t.pathOf(3), 'x/n/b');
  assert.equal(t.pathOf(4), 'x/n/b/c');
  assert.equal(t.wdOf('a'), undefined);
  assert.deepEqual(t.subtree('x').sort(), ['x', 'x/n', 'x/n/b', 'x/n/b/c']);
  assert.equal(t.pathOf(5), 'ab', 'a sibling with a common prefix is untouched');
});

test('renameSubtree over an existing (replaced) directory returns the stale wds', () => {
  const t = table(TREE);
  assert.deepEqual(t.renameSubtree('a/b', 'x'), [6]);
  assert.equal(t.pathOf(3), 'x');
  assert.equal(t.pathOf(4), 'x/c');
  assert.equal(t.pathOf(6), undefined);
});

test('renameSubtree then a later removeWd of a stale wd does not break the new mapping', () => {
  const t = table(TREE);
  t.renameSubtree('a', 'x');
  assert.equal(t.removeWd(6), undefined, 'stale wd 6 was already forgotten');
  assert.equal(t.wdOf('x'), 2);
});

test('renameSubtree of a directory that is not watched changes nothing', () => {
  const t = table(TREE);
  assert.deepEqual(t.renameSubtree('none', 'other'), []);
  assert.deepEqual(snapshot(t), snapshot(table(TREE)));
});

test('a chain of renames keeps the table consistent', () => {
  const t = table(TREE);
  t.renameSubtree('a', 'q');
  t.renameSubtree('q/b', 'q/b2');
  t.renameSubtree('q', 'a');
  assert.deepEqual(snapshot(t), ['1:', '2:a', '3:a/b2', '4:a/b2/c', '5:ab', '6:x']);
});
