// Batch runner with a scripted pool: outcomes, fail-log bookkeeping, log lines (no processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../helpers/memory-logger.js';
import type { PathBatch, Target } from '../../../src/queue/types.js';
import { coveringEntries } from '../../../src/queue/outcome.js';
import { factsOf, verdictOf } from '../../helpers/outcome.js';
import type { RunOutcome, RunResult, SyncJob } from '../../../src/sync/protocol.js';
import { renameBasis, renameCandidates } from '../../../src/sync/batch-plan.js';
import { createBatchRunner } from '../../../src/sync/runner.js';
import { PoolClosedError } from '../../../src/sync/pool.js';
import { makeConfig } from './config-fixture.js';
import { err, ok } from '../../../src/util/result.js';

const ROOT = '/opt/tongbu';
const target: Target = { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 };

function setup(
  result: (Partial<RunResult> & { outcome: RunOutcome }) | Error,
  config = makeConfig({ auth: { enabled: true, users: 'u', passwordFile: '/etc/pw' } }),
) {
  const jobs: SyncJob[] = [];
  const calls: string[] = [];
  const logger = memoryLogger('debug');
  const runner = createBatchRunner({
    config,
    logger,
    rsyncPath: 'rsync',
    pool: {
      run(job) {
        jobs.push(job);
        if (result instanceof Error) return Promise.reject(result);
        return Promise.resolve({
          id: job.id,
          durationMs: 142,
          stderrTail: '',
          failedPaths: [],
          itemsReported: 0,
          bytes: 0,
          ...result,
        });
      },
    },
    failLog: {
      record(t, paths, status) {
        calls.push(`record ${t.remoteIndex} ${status} ${paths.join(',')}`);
      },
      resolve(t, paths) {
        calls.push(`resolve ${t.remoteIndex} ${paths.join(',')}`);
      },
    },
  });
  return { runner, jobs, calls, logger };
}

/** What the worker is told to walk, with the rules as the regex sources they compile to. */
function walkOf(
  job: SyncJob | undefined,
): { dirs: readonly string[]; excludeRegexes: string[] } | undefined {
  const w = job?.excludeWalk;
  return w && { dirs: w.dirs, excludeRegexes: w.rules.map((r) => r.regex.source) };
}

const batch: PathBatch = {
  kind: 'paths',
  target,
  entries: [
    { path: 'a.txt', op: 'upsert', isDir: false, attempts: 0 },
    { path: 'dir', op: 'upsert', isDir: true, attempts: 0 },
    { path: 'gone', op: 'remove', isDir: false, attempts: 1 },
  ],
};

test('ok: one job with the paths, one log line, fail log resolved', async () => {
  const { runner, jobs, calls, logger } = setup({
    outcome: { kind: 'exited', code: 0 },
    itemsReported: 3,
    bytes: 7,
  });
  const outcome = await runner(batch);
  assert.deepEqual(verdictOf(outcome), { kind: 'ok' });
  // The worker's facts come back unchanged, not re-measured.
  assert.deepEqual(factsOf(outcome), { durationMs: 142, items: 3, bytes: 7 });
  const [job, extra] = jobs;
  assert.ok(job !== undefined && extra === undefined);
  assert.deepEqual(job.paths, ['a.txt', 'dir', 'gone']);
  assert.equal(job.cwd, ROOT);
  assert.ok(job.argv.includes('-r'));
  assert.equal(job.excludeWalk, undefined);
  assert.deepEqual(calls, ['resolve 0 a.txt,dir,gone']);
  assert.ok(
    logger.lines.includes(
      '[info] rsync -> u@127.0.0.1::tongbu1: 3 paths, exit 0, 142 ms [+"a.txt" +"dir" -"gone"]',
    ),
    logger.lines.join('\n'),
  );
  assert.ok(
    logger.lines.some((l) =>
      l.startsWith('[debug] rsync argv: cd -- /opt/tongbu && rsync -artuz -R -r --from0'),
    ),
  );
});

test('23 with named paths: partial, only those recorded (mapped to the listed dir)', async () => {
  const { runner, calls, logger } = setup({
    outcome: { kind: 'exited', code: 23 },
    failedPaths: ['dir/sub/x', 'unrelated'],
    stderrTail:
      'rsync: [sender] send_files failed to open "/opt/tongbu/dir/sub/x": Permission denied (13)\nrsync error: (code 23)\n',
  });
  assert.deepEqual(verdictOf(await runner(batch)), { kind: 'partial', failedPaths: ['dir'] });
  assert.deepEqual(calls, ['record 0 5888 dir', 'resolve 0 a.txt,gone']);
  assert.equal(
    logger.lines.filter((l) => l.startsWith('[warn] rsync stderr (u@127.0.0.1::tongbu1): ')).length,
    2,
  );
});

test('24 with no nameable path: every path is retried', async () => {
  const { runner, calls } = setup({ outcome: { kind: 'exited', code: 24 } });
  assert.deepEqual(verdictOf(await runner(batch)), {
    kind: 'partial',
    failedPaths: ['a.txt', 'dir', 'gone'],
  });
  assert.deepEqual(calls, ['record 0 6144 a.txt,dir,gone', 'resolve 0 ']);
});

test('retry and fatal: failed with a reason, all recorded with the wait status', async () => {
  const r10 = setup({ outcome: { kind: 'exited', code: 10 } });
  const o10 = await r10.runner(batch);
  assert.ok(o10.kind === 'failed');
  assert.match(o10.reason, /^retry: exit 10 \(error in socket I\/O\)/);
  assert.deepEqual(r10.calls, ['record 0 2560 a.txt,dir,gone']);
  const r1 = setup({ outcome: { kind: 'exited', code: 1 } });
  const o1 = await r1.runner(batch);
  assert.match(o1.kind === 'failed' ? o1.reason : '', /^fatal: exit 1/);
  assert.ok(r1.logger.lines.some((l) => l.startsWith('[error] rsync -> ')));
});

test('pool closed: failed, recorded, not thrown', async () => {
  const { runner, calls } = setup(new PoolClosedError());
  const o = await runner(batch);
  assert.equal(o.kind, 'failed');
  assert.deepEqual(calls, ['record 0 -1 a.txt,dir,gone']);
});

test('regex excludes: walk the upserted dirs of a batch, the whole root on a full sync', async () => {
  const { runner, jobs } = setup(
    { outcome: { kind: 'exited', code: 0 } },
    makeConfig({}, true, { excludes: ['(.*)\\.gz'] }),
  );
  await runner(batch);
  assert.deepEqual(walkOf(jobs[0]), { dirs: ['dir'], excludeRegexes: ['^(?:(.*)\\.gz)$'] });
  assert.deepEqual(verdictOf(await runner.runFullSync(ROOT, 1, { crontabExcludes: ['*.php'] })), {
    kind: 'ok',
  });
  const full = jobs[1];
  assert.ok(full !== undefined);
  assert.deepEqual(walkOf(full), { dirs: [''], excludeRegexes: ['^(?:(.*)\\.gz)$'] });
  assert.equal(full.kind, 'full');
  assert.equal(full.excludeWalk?.statWalk, false);
  assert.deepEqual(full.argv.slice(-4), ['--exclude=*.php', '--', './', '127.0.0.2::m2']);
  assert.deepEqual(full.paths, []);
});

test('commandFor builds the replay command of the fail log', () => {
  const { runner } = setup({ outcome: { kind: 'exited', code: 0 } });
  assert.deepEqual(runner.commandFor(target, ['x y']), {
    cwd: ROOT,
    argv: [
      'rsync',
      '-artuz',
      '-R',
      '-r',
      '--delete-missing-args',
      '--delete',
      '--sockopts=TCP_NODELAY',
      '--password-file=/etc/pw',
      '--',
      './x y',
      'u@127.0.0.1::tongbu1',
    ],
  });
});

test('coveringEntries maps named paths to the listed path or its nearest listed ancestor', () => {
  const entries = batch.entries;
  const c = coveringEntries(entries, ['dir/a/b', 'a.txt', 'zzz', 'dirx']);
  assert.deepEqual(
    c.covered.map((e) => e.path),
    ['dir', 'a.txt'],
  );
  assert.deepEqual(c.stray, ['zzz', 'dirx']);
});

const renameBatch: PathBatch = {
  kind: 'paths',
  target,
  entries: [
    { path: 'a/old', op: 'remove', isDir: true, attempts: 0 },
    { path: 'a/new', op: 'upsert', isDir: true, attempts: 0, renamedFrom: 'a/old' },
    { path: 'f.txt', op: 'upsert', isDir: false, attempts: 0 },
  ],
};

/** The pinned directory every rename run reads (pin-dir.ts is exercised by the integration tests). */
const PINNED = '/proc/1/fd/9';

function scripted(code: (job: SyncJob) => number, config = makeConfig(), pinned = true) {
  const jobs: SyncJob[] = [];
  const calls: string[] = [];
  const runner = createBatchRunner({
    config,
    pinDir: () =>
      Promise.resolve(pinned ? ok({ path: PINNED, close: () => Promise.resolve() }) : err('ELOOP')),
    logger: memoryLogger('debug'),
    rsyncPath: 'rsync',
    pool: {
      run(job) {
        jobs.push(job);
        return Promise.resolve({
          id: job.id,
          durationMs: 1,
          stderrTail: '',
          failedPaths: [],
          itemsReported: 0,
          bytes: 0,
          outcome: { kind: 'exited', code: code(job) },
        });
      },
    },
    failLog: {
      record(_t, paths) {
        calls.push(`record ${paths.join(',')}`);
      },
      resolve(_t, paths) {
        calls.push(`resolve ${paths.join(',')}`);
      },
    },
  });
  return { runner, jobs, calls };
}

test('rename: a dedicated run first, then the batch without the renamed dir (the old one is deleted after)', async () => {
  const { runner, jobs, calls } = scripted(() => 0);
  assert.deepEqual(verdictOf(await runner(renameBatch)), { kind: 'ok' });
  const [rename, rest, extra] = jobs;
  assert.ok(rename !== undefined && rest !== undefined && extra === undefined);
  assert.deepEqual(rename.argv.slice(-3), ['--', `${PINNED}/`, '127.0.0.1::tongbu1/a/new/']);
  assert.ok(rename.argv.includes('--link-dest=../old'), rename.argv.join(' ')); // /opt/tongbu/a/old does not exist here
  assert.deepEqual(rename.paths, []);
  assert.deepEqual(rest.paths, ['a/old', 'f.txt']);
  assert.deepEqual(calls, ['resolve a/new', 'resolve a/old,f.txt']);
});

test('rename: a failed rename run leaves the directory to the plain batch', async () => {
  const { runner, jobs } = scripted((job) => (job.paths.length === 0 ? 11 : 0));
  assert.deepEqual(verdictOf(await runner(renameBatch)), { kind: 'ok' });
  assert.deepEqual(
    jobs.map((j) => j.paths),
    [[], ['a/old', 'a/new', 'f.txt']],
  );
});

test('rename: no rename run when the new directory is not a real directory at run time (a link swapped in)', async () => {
  const { runner, jobs } = scripted(() => 0, makeConfig(), false);
  assert.deepEqual(verdictOf(await runner(renameBatch)), { kind: 'ok' });
  assert.deepEqual(
    jobs.map((j) => [j.kind, j.paths]),
    [['paths', ['a/old', 'a/new', 'f.txt']]],
  );
});

test('rename: plain batch when the old path is not removed in the same batch, or with excludes', async () => {
  const alone: PathBatch = { kind: 'paths', target, entries: renameBatch.entries.slice(1) };
  const a = scripted(() => 0);
  await a.runner(alone);
  assert.deepEqual(
    a.jobs.map((j) => j.paths),
    [['a/new', 'f.txt']],
  );
  const e = scripted(() => 0, makeConfig({}, true, { excludes: ['(.*)\\.svn'] }));
  await e.runner(renameBatch);
  assert.deepEqual(
    e.jobs.map((j) => j.paths),
    [['a/old', 'a/new', 'f.txt']],
  );
  assert.deepEqual(
    renameCandidates(
      [
        { path: 'n w', op: 'upsert', isDir: true, attempts: 0, renamedFrom: 'o' },
        { path: 'o', op: 'remove', isDir: true, attempts: 0 },
      ],
      false,
    ),
    [],
  );
});

test('rename basis: hard links only when the old copy is deleted right after', () => {
  assert.equal(renameBasis(true, false), 'link');
  assert.equal(renameBasis(true, true), 'copy');
  assert.equal(renameBasis(false, false), 'copy');
});
