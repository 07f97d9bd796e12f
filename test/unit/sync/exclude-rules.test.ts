import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dotSuffixes, excludePatterns } from '../../../src/sync/exclude-rules.js';

const files = (...rels: string[]) => rels.map((rel) => ({ rel, isDir: false }));

test('dot suffixes of a name', () => {
  assert.deepEqual(dotSuffixes('a.tar.gz'), ['.tar.gz', '.gz']);
  assert.deepEqual(dotSuffixes('.DS_Store'), ['.DS_Store']);
  assert.deepEqual(dotSuffixes('Makefile'), []);
});

test('an excluded directory is one dir-only rule; nothing below it is listed', () => {
  assert.deepEqual(
    excludePatterns({
      start: '',
      excluded: [
        { rel: 'a/cache', isDir: true },
        { rel: 'b[1]/c*', isDir: true },
      ],
      keptSuffixes: new Set(),
    }),
    ['/a/cache/', '/b\\[1]/c\\*/'],
  );
});

test('excluded files sharing a suffix no kept entry has: one rule for the whole walk', () => {
  const many = files(...Array.from({ length: 1000 }, (_, i) => `d${i % 7}/f${i}.tmp`));
  assert.deepEqual(
    excludePatterns({ start: '', excluded: many, keptSuffixes: new Set(['.txt']) }),
    ['/**.tmp'],
  );
  // Below a walked directory (a path batch's new directory), anchored there, wildcards escaped.
  assert.deepEqual(
    excludePatterns({
      start: 'up[1]/x*',
      excluded: files('up[1]/x*/a.t?', 'up[1]/x*/s/b.t?'),
      keptSuffixes: new Set(),
    }),
    ['/up\\[1]/x\\*/**.t\\?'],
  );
});

test('literal rules when a kept entry has the suffix, when a suffix is alone, or when there is none', () => {
  assert.deepEqual(
    excludePatterns({
      start: '',
      // the rule excluded t1.tmp and t2.tmp but kept a.tmp: `*.tmp` would drop a.tmp
      excluded: files('t1.tmp', 'd/t2.tmp', 'one.log', 'core', 'we[i]rd', 'st*r', 'back\\slash'),
      keptSuffixes: new Set(['.tmp']),
    }),
    ['/t1.tmp', '/d/t2.tmp', '/core', '/we\\[i]rd', '/st\\*r', '/back\\slash', '/one.log'],
  );
});

test('a suffix with wildcard characters is escaped in its rule', () => {
  assert.deepEqual(
    excludePatterns({
      start: '',
      excluded: files('a.b[1', 'c.b[1', 'x.\\q', 'y.\\q'),
      keptSuffixes: new Set(),
    }),
    ['/**.b\\[1', '/**.\\\\q'],
  );
});
