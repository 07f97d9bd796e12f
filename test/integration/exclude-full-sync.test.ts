// A full sync (and a new directory's recursive sync) with `<filter>` excludes passes few rules
// (sync/exclude-rules.ts: a rule per excluded directory, one per shared suffix, literals for the
// rest) and puts on the target exactly what the realtime verdict keeps (exclude-match.ts), with
// rsync's wildcard characters `[ * ? \` in directory and file names. Real rsync daemon.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry, PathBatch, Target } from '../../src/queue/types.js';
import { createPool, type SyncPool } from '../../src/sync/pool.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { matchesExcludePath } from '../../src/watch/exclude-match.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { verdictOf } from '../helpers/outcome.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeConfig } from '../unit/sync/config-fixture.js';

const tmp = tmpDir('sersync-excl-full-');
let daemon: Rsyncd;
let pool: SyncPool;

before(async () => {
  daemon = await startRsyncd(join(tmp.path, 'daemon'), [
    { name: 'full', path: join(tmp.path, 'dst', 'full') },
  ]);
  pool = createPool({ threads: 1 });
});

after(async () => {
  await pool.close();
  await daemon.stop();
  tmp.cleanup();
});

/** Every entry below `dir`, directories with a trailing slash, sorted. */
function listing(
  dir: string,
  keep: (rel: string, isDir: boolean) => boolean = () => true,
): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (!keep(r, e.isDirectory())) continue;
      out.push(e.isDirectory() ? `${r}/` : r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

const NAMES = [
  // kept
  'a.tmp', // kept by t[0-9]+\.tmp: the .tmp files stay literal rules
  'k[1].txt',
  'k*.txt',
  'k?.txt',
  'k\\.txt',
  'x.log.keep',
  'd[1]/keep.txt',
  'd*/sub?/keep.txt',
  'd\\b/keep.txt',
  // excluded, by suffix rule (.log) and literally (t1.tmp)
  't1.tmp',
  'd[1]/t2.tmp',
  'we[i]rd.log',
  'st*r.log',
  'q?.log',
  'back\\slash.log',
  'd[1]/deep/er.log',
  'd*/sub?/x.log',
  'd\\b/y.log',
  // excluded directories (their files are never listed)
  'cache/c1.txt',
  'd[1]/cache/c2.txt',
  'd*/cache/deep/c3.txt',
];

test('full sync and a new directory with excludes: the target holds what the realtime verdict keeps', async () => {
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst', 'full');
  const excludes = ['(.*)\\.log', 't[0-9]+\\.tmp', '(.*)/?cache'];
  for (const n of NAMES) {
    mkdirSync(join(src, n, '..'), { recursive: true });
    writeFileSync(join(src, n), n);
  }
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, true, {
    root: src,
    remotes: [{ ip: '127.0.0.1', name: 'full' }],
    excludes,
  });
  const rules = config.filter.excludes.map((r) => r.regex);
  const kept = (rel: string, isDir: boolean): boolean => !matchesExcludePath(rules, rel, isDir);
  const runner = createBatchRunner({
    config,
    pool,
    logger: memoryLogger('debug'),
    rsyncPath: 'rsync',
    failLog: { record: () => undefined, resolve: () => undefined },
  });
  // A stale kept file at the target is deleted; excluded names never arrive.
  mkdirSync(dst, { recursive: true });
  writeFileSync(join(dst, 'stale.txt'), 'gone at the source');
  assert.deepEqual(verdictOf(await runner.runFullSync(src, 0)), { kind: 'ok' });
  const want = listing(src, kept);
  assert.ok(
    want.includes('a.tmp') && want.includes('d*/sub?/keep.txt') && !want.includes('t1.tmp'),
  );
  assert.deepEqual(listing(dst), want);

  // The realtime path for a directory moved in: the same verdict inside it.
  for (const n of NAMES) {
    mkdirSync(join(src, 'new[1]', n, '..'), { recursive: true });
    writeFileSync(join(src, 'new[1]', n), n);
  }
  const target: Target = { key: `${src}\u00000`, root: src, remoteIndex: 0 };
  const entries: Entry[] = [{ path: 'new[1]', op: 'upsert', isDir: true, attempts: 0 }];
  const batch: PathBatch = { kind: 'paths', target, entries };
  assert.deepEqual(verdictOf(await runner(batch)), { kind: 'ok' });
  assert.deepEqual(listing(dst), listing(src, kept));
});
