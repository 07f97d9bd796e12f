// The exclude verdict (watch/exclude-match.ts) for rules written for sersync 2.5.4: each rule is
// tried on the subjects the original used (the name in the root, `/dir/sub/name` below it,
// `dir/sub/` for a directory at start-up) and on the relative path, for the entry and every
// ancestor. Rules go through the config's Boost translation, as the loader compiles them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { translateBoost } from '../../../src/config/boost-regex.js';
import {
  createExcludeMatcher,
  excludeSubjects,
  matchesEntry,
  matchesExcludePath,
} from '../../../src/watch/exclude-match.js';

const compile = (expr: string): RegExp => {
  const r = translateBoost(expr);
  if (!r.ok) throw new Error(r.error.message);
  return new RegExp(`^(?:${r.value})$`);
};

test('subject forms: name in the root, /rel below it, rel/ for a directory', () => {
  assert.deepEqual(excludeSubjects('info', true), ['info', 'info/']);
  assert.deepEqual(excludeSubjects('x.gz', false), ['x.gz']);
  assert.deepEqual(excludeSubjects('a/b/x.gz', false), ['a/b/x.gz', '/a/b/x.gz']);
  assert.deepEqual(excludeSubjects('static/img', true), [
    'static/img',
    '/static/img',
    'static/img/',
  ]);
});

// [rule, path, isDir, excluded?] — what each rule excludes (docs/config.md shows the same table).
const TABLE: [string, string, boolean, boolean][] = [
  // the realtime form with a leading slash: everything below keep/, not keep itself
  ['/keep/.*', 'keep/x', false, true],
  ['/keep/.*', 'keep/sub/y', false, true],
  ['/keep/.*', 'keep', true, false],
  ['/keep/.*', 'other/keep/x', false, false],
  // a directory anywhere: the directory (start-up form dir/) and all below it
  ['(.*)/cache/(.*)', 'a/cache/f', false, true],
  ['(.*)/cache/(.*)', 'a/cache', true, true],
  ['(.*)/cache/(.*)', 'cache/f', false, true],
  ['(.*)/cache/(.*)', 'cache', true, false],
  ['(.*)/cache/(.*)', 'a/cachex/f', false, false],
  // case-insensitive suffix
  ['(?i).*\\.LOG', 'x.log', false, true],
  ['(?i).*\\.LOG', 'd/X.Log', false, true],
  ['(?i).*\\.LOG', 'd/x.logs', false, false],
  // a POSIX class: only in the root (the subject below it starts with /)
  ['tmp[[:digit:]]+', 'tmp123', false, true],
  ['tmp[[:digit:]]+', 'tmp123', true, true],
  ['tmp[[:digit:]]+', 'tmp123/f', false, true],
  ['tmp[[:digit:]]+', 'tmpx', false, false],
  ['tmp[[:digit:]]+', 'd/tmp123', false, false],
  ['(.*/)?tmp[[:digit:]]+', 'd/tmp123', false, true],
  // the template's rules
  ['^info/*', 'info', true, true],
  ['^info/*', 'info', false, true],
  ['^info/*', 'info/a/b.txt', false, true],
  ['^info/*', 'keep/info', true, false],
  ['^info/*', 'info_new', true, false],
  ['(.*)\\.svn', 'proj/.svn', true, true],
  ['(.*)\\.svn', 'proj/.svn/entries', false, true],
  ['(.*)\\.gz', 'a/b/x.gz', false, true],
  // the original's observed cases (sersync-observed.md §5.2), and where the relative path adds
  ['/keep/y.*', 'keep/y1', false, true],
  ['z.*', 'z1', false, true],
  ['z.*', 'keep/z1', false, false],
  ['keep/x.*', 'keep/x1', false, true], // sersync 2.5.4 missed this at runtime (subject /keep/x1)
  ['^a/b/*', 'a/b', true, true], // at start-up and, unlike sersync, when re-created at runtime
  ['cache/', 'cache', true, true],
  ['cache/', 'cache', false, false],
  // word boundaries
  ['.*\\<backup\\>.*', 'old backup 1', false, true],
  ['.*\\<backup\\>.*', 'backups', false, false],
];

for (const [rule, path, isDir, want] of TABLE) {
  test(`exclude ${JSON.stringify(rule)}: ${path}${isDir ? '/' : ''} is ${want ? '' : 'not '}excluded`, () => {
    assert.equal(matchesExcludePath([compile(rule)], path, isDir), want);
  });
}

test('the root is never excluded; no rules exclude nothing', () => {
  assert.equal(matchesExcludePath([compile('.*')], '', true), false);
  assert.equal(matchesExcludePath([], 'x', false), false);
});

test('matchesEntry tries the entry only (the walk prunes at excluded directories itself)', () => {
  const rules = [compile('^info/*')];
  assert.equal(matchesEntry(rules, 'info', true), true);
  assert.equal(matchesEntry(rules, 'info/a', false), false);
  assert.equal(matchesExcludePath(rules, 'info/a', false), true);
});

test('the cached matcher gives the same verdict as matchesExcludePath (every table row, twice)', () => {
  for (const limits of [undefined, { dirs: 1, files: 1 }]) {
    const byRule = new Map<string, (rel: string, isDir: boolean) => boolean>();
    for (const round of [1, 2])
      for (const [rule, path, isDir, want] of TABLE) {
        const m = byRule.get(rule) ?? createExcludeMatcher([compile(rule)], limits);
        byRule.set(rule, m);
        assert.equal(m(path, isDir), want, `${rule} ${path} round ${round}`);
      }
  }
  assert.equal(createExcludeMatcher([compile('.*')])('', true), false, 'never the root');
  assert.equal(createExcludeMatcher([])('x', false), false);
});

test('property: the cached matcher agrees with matchesExcludePath, whatever the cache bounds', () => {
  const rules = ['(.*)/b', '^a/*', '(.*)\\.gz', 'b/', '/a/b.*'].map(compile);
  const seg = fc.constantFrom('a', 'b', 'x.gz', 'ab', '');
  const query = fc.tuple(
    fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
    fc.boolean(),
  );
  fc.assert(
    fc.property(
      fc.subarray(rules, { minLength: 1 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(query, { maxLength: 40 }),
      (rs, bound, queries) => {
        const m = createExcludeMatcher(rs, { dirs: bound, files: bound });
        for (const [rel, isDir] of queries)
          assert.equal(m(rel, isDir), matchesExcludePath(rs, rel, isDir), `${rel} ${isDir}`);
      },
    ),
    { numRuns: 400 },
  );
});

test('a directory is tried once, however many events below it; the same file twice costs nothing', () => {
  let tests = 0;
  const inner = compile('(.*)\\.gz');
  const counting = {
    test: (s: string) => (tests++, inner.test(s)),
    lastIndex: 0,
  } as unknown as RegExp;
  const m = createExcludeMatcher([counting]);
  m('d/e/f0', false); // d (2 subjects), d/e (3), d/e/f0 (2)
  assert.equal(tests, 7);
  for (let i = 1; i <= 100; i++) m(`d/e/f${i}`, false);
  assert.equal(tests, 7 + 100 * 2, 'only the files own subjects');
  m('d/e/f7', false);
  assert.equal(tests, 207, 'the watcher and the filter asking for one event: one try');
});
