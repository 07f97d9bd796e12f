// -r progress end to end: a full sync of a 2,000-file tree against a real `rsync --daemon` on
// 127.0.0.1 reports files and bytes through onProgress (worker -> pool port -> runner), and the
// progress board turns them into `full sync of ROOT -> REMOTE: …` lines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../helpers/memory-logger.js';
import { batchArgv, prepareRemote } from '../../src/sync/argv.js';
import { createPool, type SyncPool } from '../../src/sync/pool.js';
import { createProgressBoard, type SyncProgress } from '../../src/sync/progress.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { factsOf, verdictOf } from '../helpers/outcome.js';
import { diffTrees } from '../helpers/tree.js';
import { makeConfig } from '../unit/sync/config-fixture.js';

const FILES = 2000;
const SIZE = 1000; // bytes per file
const tmp = tmpDir('sersync-progress-');
const src = join(tmp.path, 'src');
const dst = join(tmp.path, 'dst');
let daemon: Rsyncd;
let pool: SyncPool;

before(async () => {
  // 2,000 files in 20 directories, plus a name with spaces and digits that looks like `%l %n`.
  for (let i = 0; i < FILES - 1; i++) {
    const dir = join(src, `d${i % 20}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), 'x'.repeat(SIZE));
  }
  writeFileSync(join(src, '12 34 tricky name'), 'y'.repeat(SIZE));
  mkdirSync(dst);
  daemon = await startRsyncd(join(tmp.path, 'daemon'), [{ name: 'mod', path: dst }]);
  pool = createPool({ threads: 2 });
});

after(async () => {
  await pool.close();
  await daemon.stop();
  tmp.cleanup();
});

function runner() {
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, true, {
    root: src,
    remotes: [{ ip: '127.0.0.1', name: 'mod' }],
  });
  const logger = memoryLogger('info');
  return {
    logger,
    run: createBatchRunner({
      config,
      pool,
      logger,
      rsyncPath: 'rsync',
      failLog: { record: () => undefined, resolve: () => undefined },
    }),
  };
}

test('a full sync of 2,000 files reports growing progress, ending at every file and byte sent', async () => {
  const { run } = runner();
  const reports: SyncProgress[] = [];
  const outcome = await run.runFullSync(src, 0, {
    onProgress: (p) => {
      reports.push(p);
    },
  });
  assert.deepEqual(verdictOf(outcome), { kind: 'ok' });
  // The outcome carries what the worker counted: every file's bytes, every item line.
  assert.equal(factsOf(outcome).bytes, FILES * SIZE);
  assert.ok(factsOf(outcome).items >= FILES, JSON.stringify(outcome.run));
  assert.deepEqual(diffTrees(src, dst), []);
  assert.ok(reports.length > 0, 'progress was reported');
  assert.ok((reports[0]?.files ?? 0) > 0, 'the first report counts files');
  for (let i = 1; i < reports.length; i++) {
    const [a, b] = [reports[i - 1]!, reports[i]!];
    assert.ok(
      b.files > a.files || b.bytes > a.bytes,
      `report ${i} grows: ${JSON.stringify([a, b])}`,
    );
  }
  // Directories are not counted; the last report (delivered before runFullSync resolved) is the total.
  assert.deepEqual(reports[reports.length - 1], { files: FILES, bytes: FILES * SIZE });

  // Nothing changed: rsync lists nothing, so there is nothing to report.
  const again: SyncProgress[] = [];
  assert.deepEqual(
    verdictOf(
      await run.runFullSync(src, 0, {
        onProgress: (p) => {
          again.push(p);
        },
      }),
    ),
    { kind: 'ok' },
  );
  assert.deepEqual(again, []);
});

test('the progress board logs the totals when stderr is not a terminal', async () => {
  const { run, logger } = runner();
  writeFileSync(join(src, 'new-1.txt'), 'z'.repeat(2 * 1024 * 1024));
  writeFileSync(join(src, 'new-2.txt'), 'z'.repeat(1024 * 1024));
  const board = createProgressBoard({
    logger,
    stream: { isTTY: false, write: () => true },
    logEveryMs: 0,
  });
  const sink = board.start(src, '127.0.0.1::mod');
  assert.deepEqual(verdictOf(await run.runFullSync(src, 0, { onProgress: sink.update })), {
    kind: 'ok',
  });
  sink.finish();
  const lines = logger.lines.filter((l) => l.includes('full sync of'));
  assert.equal(
    lines[lines.length - 1],
    `[info] full sync of ${src} -> 127.0.0.1::mod: 2 files, 3.0 MiB so far`,
  );
  assert.ok(
    logger.lines.some((l) =>
      /^\[info\] rsync -> 127\.0\.0\.1::mod: full sync, exit 0, \d+ ms/.test(l),
    ),
    logger.lines.join('\n'),
  );
});

test('progress on a path batch: files and their %l bytes counted (a name starting with digits too)', async () => {
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, true, {
    root: src,
    remotes: [{ ip: '127.0.0.1', name: 'mod' }],
  });
  writeFileSync(join(src, 'b1.txt'), 'b');
  writeFileSync(join(src, '7 b2.txt'), 'bb');
  const reports: SyncProgress[] = [];
  const job = {
    kind: 'paths' as const,
    id: 1,
    rsyncPath: 'rsync',
    argv: batchArgv(prepareRemote(config, src, 0), false),
    cwd: src,
    paths: ['b1.txt', '7 b2.txt'],
    timeoutMs: 0,
  };
  const r = await pool.run(job, {
    onProgress: (p) => {
      reports.push(p);
    },
  });
  assert.deepEqual(r.outcome, { kind: 'exited', code: 0 });
  assert.ok(
    r.itemsReported >= 2,
    'the item count still includes every out-format line (the root dir too)',
  );
  assert.deepEqual(reports[reports.length - 1], { files: 2, bytes: 3 });
  assert.equal(r.bytes, 3, 'the run facts carry the bytes too (sersync_rsync_bytes_total)');
  assert.deepEqual(diffTrees(src, dst), []);
});
