// The rename shortcut never follows a link swapped in at the new name (issue 14.4): a local user
// (nobody, via setpriv) renames their directory, then replaces the new name by a symbolic link to a
// root-only directory, either before the batch runs or after the runner pinned the directory and
// before rsync is spawned (a barrier in the pool, no timing). The root-only files never reach the
// target; the batch syncs the link as a link. Real rsync daemon on 127.0.0.1, real pool and worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry, PathBatch, Target } from '../../src/queue/types.js';
import { createPool, type SyncPool } from '../../src/sync/pool.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { verdictOf } from '../helpers/outcome.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeConfig } from '../unit/sync/config-fixture.js';
import { asNobody, isRoot } from '../helpers/nobody.js';

const SECRET = 'root-only secret\n';
const tmp = tmpDir('sersync-rename-link-');
let daemon: Rsyncd;
let pool: SyncPool;
const secretDir = join(tmp.path, 'secret');

before(async () => {
  chmodSync(tmp.path, 0o711); // nobody may reach its own source, nothing else
  mkdirSync(secretDir, { mode: 0o700 });
  writeFileSync(join(secretDir, 'shadow'), SECRET, { mode: 0o600 });
  writeFileSync(join(secretDir, 'f1'), SECRET, { mode: 0o600 });
  const mods = ['before', 'after', 'before-copy', 'after-copy'].map((name) => ({
    name,
    path: join(tmp.path, 'dst', name),
  }));
  daemon = await startRsyncd(join(tmp.path, 'daemon'), mods);
  pool = createPool({ threads: 1 });
});

after(async () => {
  await pool.close();
  await daemon.stop();
  tmp.cleanup();
});

/** Every regular file under `dir` whose content is the secret. */
function secretsIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p, 'utf8') === SECRET) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** A root `src` whose directory `d` belongs to nobody, synced once with `d/old` holding f1, f2. */
async function setup(module: string, del: boolean, swapBeforeSpawn?: string) {
  const src = join(tmp.path, 'src', module);
  mkdirSync(join(src, 'd'), { recursive: true });
  chownSync(join(src, 'd'), 65534, 65534);
  asNobody(`cd '${src}/d' && mkdir old && echo one > old/f1 && echo two > old/f2`);
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, del, {
    root: src,
    remotes: [{ ip: '127.0.0.1', name: module }],
  });
  const ran: string[] = [];
  const runner = createBatchRunner({
    config,
    logger: memoryLogger('debug'),
    rsyncPath: 'rsync',
    failLog: { record: () => undefined, resolve: () => undefined },
    pool: {
      // The barrier: the swap happens after the runner pinned the directory, before the spawn.
      run: (job, opts) => {
        ran.push(job.kind);
        if (job.kind === 'rename' && swapBeforeSpawn !== undefined) asNobody(swapBeforeSpawn);
        return opts === undefined ? pool.run(job) : pool.run(job, opts);
      },
    },
  });
  const target: Target = { key: `${src}\u00000`, root: src, remoteIndex: 0 };
  const batch = (entries: Partial<Entry>[]): PathBatch => ({
    kind: 'paths',
    target,
    entries: entries.map((e) => ({ path: '', op: 'upsert', isDir: false, attempts: 0, ...e })),
  });
  assert.deepEqual(verdictOf(await runner(batch([{ path: 'd', isDir: true }]))), { kind: 'ok' });
  const renameBatch = batch([
    { path: 'd/old', op: 'remove', isDir: true },
    { path: 'd/new', isDir: true, renamedFrom: 'd/old' },
  ]);
  return { src, dst: join(tmp.path, 'dst', module), runner, batch, renameBatch, ran };
}

for (const del of [true, false]) {
  const suffix = del ? '' : '-copy';
  const basis = del ? '--link-dest' : '--copy-dest';

  test(
    `rename (${basis}): a link swapped in before the run is synced as a link, nothing behind it`,
    {
      skip: !isRoot && 'needs root (setpriv)',
    },
    async () => {
      const s = await setup(`before${suffix}`, del);
      asNobody(`cd '${s.src}/d' && mv old new && mv new mine && ln -s '${secretDir}' new`);
      assert.deepEqual(verdictOf(await s.runner(s.renameBatch)), { kind: 'ok' });
      assert.deepEqual(s.ran, ['paths', 'paths'], 'no rename run for a link');
      assert.deepEqual(secretsIn(s.dst), []);
      assert.ok(lstatSync(join(s.dst, 'd', 'new')).isSymbolicLink());
    },
  );

  test(
    `rename (${basis}): a link swapped in after the check, before rsync starts, is never followed`,
    {
      skip: !isRoot && 'needs root (setpriv)',
    },
    async () => {
      const swap = (src: string): string =>
        `cd '${src}/d' && mv new mine && ln -s '${secretDir}' new`;
      const module = `after${suffix}`;
      const s = await setup(module, del, swap(join(tmp.path, 'src', module)));
      asNobody(`cd '${s.src}/d' && mv old new`);
      assert.deepEqual(verdictOf(await s.runner(s.renameBatch)), { kind: 'ok' });
      assert.deepEqual(s.ran, ['paths', 'rename', 'paths']);
      assert.deepEqual(secretsIn(s.dst), [], 'the root-only files reached the target');
      // What was pinned (the directory now called `mine`) arrived under the name it was renamed to.
      assert.deepEqual(readdirSync(join(s.dst, 'd', 'new')).sort(), ['f1', 'f2']);
      // The swap's own events then sync both names as what they are.
      const next = s.batch([{ path: 'd/new' }, { path: 'd/mine', isDir: true }]);
      // (delete off: rsync keeps the non-empty directory the link would replace: exit 23)
      const { errorLine, ...verdict } = verdictOf(await s.runner(next)) as { errorLine?: string };
      assert.deepEqual(verdict, del ? { kind: 'ok' } : { kind: 'partial', failedPaths: ['d/new'] });
      // rsync's own line travels with a partial outcome (/status lastError).
      if (!del) assert.match(errorLine ?? '', /could not make way for new symlink: d\/new/);
      if (del) assert.ok(lstatSync(join(s.dst, 'd', 'new')).isSymbolicLink());
      assert.deepEqual(readdirSync(join(s.dst, 'd', 'mine')).sort(), ['f1', 'f2']);
      assert.deepEqual(secretsIn(s.dst), []);
    },
  );
}
