// split(): which entries of a settled batch are synced and which are retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { split } from '../../../src/queue/outcome.js';
import type { Entry } from '../../../src/queue/types.js';

const e = (path: string, isDir = false): Entry => ({ path, op: 'upsert', isDir, attempts: 0 });
const ES = [e('a'), e('b'), e('d', true)];
const names = (es: readonly Entry[]): string[] => es.map((x) => x.path);

test('ok: everything synced', () => {
  const r = split(ES, { kind: 'ok' });
  assert.deepEqual([names(r.synced), names(r.failed)], [['a', 'b', 'd'], []]);
});

test('failed: everything retried, with the reason', () => {
  const r = split(ES, { kind: 'failed', reason: 'exit 10' });
  assert.deepEqual([names(r.synced), names(r.failed), r.reason], [[], ['a', 'b', 'd'], 'exit 10']);
});

test('partial: exact paths and paths inside a directory entry', () => {
  const r = split(ES, { kind: 'partial', failedPaths: ['b', './d/x/y', 'd/z/'] });
  assert.deepEqual([names(r.synced), names(r.failed)], [['a'], ['b', 'd']]);
});

test('partial: an unplaceable path or no paths at all retries everything', () => {
  assert.deepEqual(names(split(ES, { kind: 'partial', failedPaths: ['zz'] }).failed), [
    'a',
    'b',
    'd',
  ]);
  assert.deepEqual(names(split(ES, { kind: 'partial', failedPaths: [] }).failed), ['a', 'b', 'd']);
});

test('a full-sync entry ("") contains every failed path', () => {
  const r = split([e('', true)], { kind: 'partial', failedPaths: ['deep/file'] });
  assert.deepEqual(names(r.failed), ['']);
});
