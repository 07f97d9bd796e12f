// rsync exit 23/24 naming only paths outside the batch ("." or an implied parent directory):
// the lines below were captured from a real rsync 3.x daemon running as nobody (module root owned
// by root, mode 1777). Parsing, mapping, the runner's outcome and the once-only warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry, PathBatch, Target } from '../../../src/queue/types.js';
import { coveringEntries, split } from '../../../src/queue/outcome.js';
import { namedPath, outputTally } from '../../../src/sync/rsync-output.js';
import type { RunResult } from '../../../src/sync/protocol.js';
import { scriptedRunner } from './scripted-runner.js';

const ROOT = '/opt/tongbu';
const ROOT_TIMES =
  'rsync: [generator] failed to set times on "." (in mod): Operation not permitted (1)';
const ROOT_PERMS =
  'rsync: [generator] failed to set permissions on "." (in mod): Operation not permitted (1)';
const SUB_TIMES =
  'rsync: [generator] failed to set times on "sub" (in mod): Operation not permitted (1)';
const MKSTEMP =
  'rsync: [receiver] mkstemp "locked/.f.txt.7NvKEk" (in mod) failed: Permission denied (13)';
const CODE23 =
  'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]';

test('namedPath: the root is ".", other paths as rsync names them, summary lines name none', () => {
  const rows: [string, string | undefined][] = [
    [ROOT_TIMES, '.'],
    [ROOT_PERMS, '.'],
    [SUB_TIMES, 'sub'],
    [MKSTEMP, 'locked/.f.txt.7NvKEk'],
    [CODE23, undefined],
    ['send sub/f.txt', undefined],
  ];
  for (const [line, want] of rows) assert.equal(namedPath(line, ROOT), want, line);
});

test('outputTally keeps "." among the failed paths', () => {
  const t = outputTally(ROOT);
  for (const l of [ROOT_TIMES, ROOT_PERMS, SUB_TIMES, CODE23]) t.stderr(l);
  assert.deepEqual(t.failedPaths(), ['.', 'sub']);
});

const e = (path: string, isDir = false): Entry => ({ path, op: 'upsert', isDir, attempts: 0 });
const ES = [e('sub/f.txt'), e('a/b/c.txt'), e('d', true)];

test('coveringEntries: "." and implied parents are outside, other unplaced paths stray', () => {
  const rows: [string[], { covered: string[]; stray: string[]; outside: string[] }][] = [
    [['.'], { covered: [], stray: [], outside: ['.'] }],
    [['sub', 'a', 'a/b/'], { covered: [], stray: [], outside: ['sub', 'a', 'a/b/'] }],
    [['d'], { covered: ['d'], stray: [], outside: [] }],
    [['sub/.f.txt.7NvKEk'], { covered: [], stray: ['sub/.f.txt.7NvKEk'], outside: [] }],
    [['su', 'a/b/c.txt'], { covered: ['a/b/c.txt'], stray: ['su'], outside: [] }],
  ];
  for (const [paths, want] of rows) {
    const c = coveringEntries(ES, paths);
    assert.deepEqual({ ...c, covered: c.covered.map((x) => x.path) }, want, paths.join(','));
  }
});

test('split: only outside paths named -> everything synced; with a stray -> everything retried', () => {
  const ok = split(ES, { kind: 'partial', failedPaths: ['.', 'sub'] });
  assert.deepEqual([ok.synced.length, ok.failed.length], [3, 0]);
  const mixed = split(ES, { kind: 'partial', failedPaths: ['.', 'zz'] });
  assert.deepEqual([mixed.synced.length, mixed.failed.length], [0, 3]);
});

const target: Target = { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 };
const batch: PathBatch = { kind: 'paths', target, entries: [e('sub/f.txt'), e('top.txt')] };

const setup = (results: Partial<RunResult>[]) => scriptedRunner(results);

const sub23: Partial<RunResult> = {
  outcome: { kind: 'exited', code: 23 },
  failedPaths: ['sub'],
  stderrTail: `${SUB_TIMES}\n${CODE23}\n`,
};

test('runner: exit 23 naming an implied parent only -> ok with a warning, fail log resolved', async () => {
  const { runner, calls } = setup([sub23]);
  const o = await runner(batch);
  assert.ok(o.kind === 'ok' && o.warning?.includes(SUB_TIMES), JSON.stringify(o));
  assert.deepEqual(calls, ['resolve sub/f.txt,top.txt']);
});

test('runner: the warning is logged once, again after a clean run through it cleared it', async () => {
  const clean: Partial<RunResult> = {};
  const { runner, logger } = setup([sub23, sub23, sub23, clean, sub23]);
  const warned = (): number =>
    logger.lines.filter((l) => l.startsWith('[warn]') && l.includes('"sub" outside the batch'))
      .length;
  for (let n = 0; n < 3; n++) await runner(batch);
  assert.equal(warned(), 1);
  assert.equal(logger.lines.filter((l) => l.startsWith('[warn] rsync stderr')).length, 0);
  await runner(batch);
  assert.ok(logger.lines.some((l) => l.includes('the problem with "sub" cleared')));
  await runner(batch);
  assert.equal(warned(), 2);
});

test('runner: a stray path with the outside one still retries every path', async () => {
  const { runner } = setup([
    {
      outcome: { kind: 'exited', code: 23 },
      failedPaths: ['sub', 'sub/.f.txt.7NvKEk'],
      stderrTail: `${SUB_TIMES}\n${MKSTEMP}\n${CODE23}\n`,
    },
  ]);
  const o = await runner(batch);
  assert.deepEqual(o.kind === 'partial' ? o.failedPaths : o, ['sub/f.txt', 'top.txt']);
});

test('full sync: only "." named -> ok with a warning', async () => {
  const { runner } = setup([
    {
      outcome: { kind: 'exited', code: 23 },
      failedPaths: ['.'],
      stderrTail: `${ROOT_TIMES}\n${CODE23}\n`,
    },
  ]);
  const o = await runner.runFullSync(ROOT, 0);
  assert.ok(o.kind === 'ok' && o.warning?.includes(ROOT_TIMES), JSON.stringify(o));
});
