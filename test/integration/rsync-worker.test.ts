// The sync side end to end against a real `rsync --daemon` on 127.0.0.1: pool + worker + runner.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  readlinkSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../helpers/memory-logger.js';
import type { Entry, PathBatch, Target } from '../../src/queue/types.js';
import { factsOf, verdictOf } from '../helpers/outcome.js';
import type { Config, RsyncConfig } from '../../src/config/types.js';
import { createPool, PoolClosedError, type SyncPool } from '../../src/sync/pool.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { classify } from '../../src/sync/exit-policy.js';
import type { SyncJob } from '../../src/sync/protocol.js';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';
import { makeConfig } from '../unit/sync/config-fixture.js';
import { HOSTILE, PWNED_FILES } from '../unit/sync/hostile-names.js';
import { decodeName, encodeName } from '../../src/util/byte-names.js';

const PASSWORD = 'S3cret-pa55-word';
const tmp = tmpDir('sersync-sync-it-');
let daemon: Rsyncd;
let pool: SyncPool;

before(async () => {
  const mods = ['hostile', 'dirs', 'auth', 'excl', 'partial'].map((name) => ({
    name,
    path: join(tmp.path, 'dst', name),
    ...(name === 'auth' ? { auth: { user: 'syncer', password: PASSWORD } } : {}),
  }));
  daemon = await startRsyncd(join(tmp.path, 'daemon'), mods);
  pool = createPool({ threads: 3 });
});

after(async () => {
  await pool.close();
  await daemon.stop();
  tmp.cleanup();
});

/** A fresh source root and a runner pushing it to `module`. */
function setup(
  module: string,
  opts: { rsync?: Partial<RsyncConfig>; del?: boolean; excludes?: string[] } = {},
) {
  const src = join(tmp.path, 'src', module);
  mkdirSync(src, { recursive: true });
  const config: Config = makeConfig(
    { userDefinedPort: { enabled: true, port: daemon.port }, ...opts.rsync },
    opts.del ?? true,
    {
      root: src,
      remotes: [{ ip: '127.0.0.1', name: module }],
      ...(opts.excludes ? { excludes: opts.excludes } : {}),
    },
  );
  const logger = memoryLogger('debug');
  const recorded: string[] = [];
  const runner = createBatchRunner({
    config,
    pool,
    logger,
    rsyncPath: 'rsync',
    failLog: {
      record: (_t, paths, status) => {
        recorded.push(...paths.map((p) => `${status} ${p}`));
      },
      resolve: () => undefined,
    },
  });
  const target: Target = { key: `${src}\u00000`, root: src, remoteIndex: 0 };
  const batch = (entries: Partial<Entry>[]): PathBatch => ({
    kind: 'paths',
    target,
    entries: entries.map((e) => ({ path: '', op: 'upsert', isDir: false, attempts: 0, ...e })),
  });
  return { src, dst: join(tmp.path, 'dst', module), runner, logger, recorded, batch };
}

function noPwned(): void {
  const seen: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (PWNED_FILES.includes(e.name)) seen.push(join(dir, e.name));
      if (e.isDirectory()) walk(join(dir, e.name));
    }
  };
  walk(tmp.path);
  for (const f of PWNED_FILES) if (existsSync(join(process.cwd(), f))) seen.push(f);
  assert.deepEqual(seen, [], 'a file name was run by a shell');
}

test('hostile names: one batch creates them at the target, one batch deletes them', async () => {
  const { src, dst, runner, batch } = setup('hostile');
  HOSTILE.forEach((n, i) => {
    writeFileSync(join(src, n), `content ${i}\n`);
  });
  writeFileSync(join(src, 'keep.txt'), 'stays');
  assert.deepEqual(
    verdictOf(await runner(batch([...HOSTILE, 'keep.txt'].map((path) => ({ path }))))),
    {
      kind: 'ok',
    },
  );
  assert.deepEqual(diffTrees(src, dst), []);
  for (const n of HOSTILE) rmSync(join(src, n));
  assert.deepEqual(
    verdictOf(await runner(batch(HOSTILE.map((path) => ({ path, op: 'remove' }))))),
    {
      kind: 'ok',
    },
  );
  assert.deepEqual(diffTrees(src, dst), []);
  assert.deepEqual(readdirSync(dst), ['keep.txt']);
  noPwned();
});

test('a directory listed once is synced recursively; rm -rf listed once deletes it', async () => {
  const { src, dst, runner, batch, logger } = setup('dirs');
  mkdirSync(join(src, 'd/a/b'), { recursive: true });
  writeFileSync(join(src, 'd/top'), '1');
  writeFileSync(join(src, 'd/a/b/deep'), '2');
  writeFileSync(join(src, 'other'), 'not listed');
  assert.deepEqual(verdictOf(await runner(batch([{ path: 'd', isDir: true }]))), { kind: 'ok' });
  assert.deepEqual(diffTrees(src, dst, { ignore: (p) => p === 'other' }), []);
  assert.equal(existsSync(join(dst, 'other')), false, 'only listed paths are sent');
  rmSync(join(src, 'd'), { recursive: true });
  assert.deepEqual(verdictOf(await runner(batch([{ path: 'd', op: 'remove', isDir: true }]))), {
    kind: 'ok',
  });
  assert.equal(existsSync(join(dst, 'd')), false);
  assert.ok(
    logger.lines.some((l) =>
      /^\[info\] rsync -> 127\.0\.0\.1::dirs: 1 path, exit 0, \d+ ms \[\+"d"\]$/.test(l),
    ),
    logger.lines.join('\n'),
  );
});

test('auth: right password syncs; wrong password fails with the stderr logged, never the password', async () => {
  const pwFile = join(tmp.path, 'rsync.pas');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  chmodSync(pwFile, 0o600);
  const good = setup('auth', {
    rsync: { auth: { enabled: true, users: 'syncer', passwordFile: pwFile } },
  });
  writeFileSync(join(good.src, 'a.txt'), 'a');
  assert.deepEqual(verdictOf(await good.runner(good.batch([{ path: 'a.txt' }]))), { kind: 'ok' });
  assert.equal(readFileSync(join(good.dst, 'a.txt'), 'utf8'), 'a');

  const badFile = join(tmp.path, 'wrong.pas');
  writeFileSync(badFile, 'wrong-Pa55\n');
  chmodSync(badFile, 0o600);
  const bad = setup('auth', {
    rsync: { auth: { enabled: true, users: 'syncer', passwordFile: badFile } },
  });
  const outcome = await bad.runner(bad.batch([{ path: 'a.txt' }]));
  assert.ok(outcome.kind === 'failed');
  assert.equal(classify({ kind: 'exited', code: 5 }).verdict, 'retry');
  assert.match(outcome.reason, /^retry: exit 5 /);
  assert.ok(
    bad.logger.lines.some((l) => l.includes('@ERROR: auth failed on module auth')),
    bad.logger.lines.join('\n'),
  );
  assert.deepEqual(bad.recorded, ['1280 a.txt']);
  for (const l of [...good.logger.lines, ...bad.logger.lines]) {
    assert.ok(!l.includes(PASSWORD) && !l.includes('wrong-Pa55'), `password in log: ${l}`);
  }
});

test('exclude walk: <filter> regexes hold inside a listed directory and in a full sync', async () => {
  const { src, dst, runner, batch } = setup('excl', { excludes: ['(.*)\\.gz', 'e/cache/'] });
  for (const f of [
    'e/keep.txt',
    'e/x.gz',
    'e/sub/y.gz',
    'e/sub/z.txt',
    'e/cache/c.txt',
    'e/st*r.gz',
    'e/w[1].gz',
    'e/w1.gz.txt',
    'top.gz',
    'top.txt',
  ]) {
    mkdirSync(join(src, f, '..'), { recursive: true });
    writeFileSync(join(src, f), f);
  }
  assert.deepEqual(verdictOf(await runner(batch([{ path: 'e', isDir: true }]))), { kind: 'ok' });
  const listing = (): string[] => {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const e of readdirSync(join(dst, rel), { withFileTypes: true })) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        out.push(e.isDirectory() ? `${r}/` : r);
        if (e.isDirectory()) walk(r);
      }
    };
    walk('');
    return out.sort();
  };
  assert.deepEqual(listing(), ['e/', 'e/keep.txt', 'e/sub/', 'e/sub/z.txt', 'e/w1.gz.txt']);
  writeFileSync(join(dst, 'remote-only.txt'), 'x');
  assert.deepEqual(verdictOf(await runner.runFullSync(src, 0)), { kind: 'ok' });
  assert.deepEqual(listing(), [
    'e/',
    'e/keep.txt',
    'e/sub/',
    'e/sub/z.txt',
    'e/w1.gz.txt',
    'top.txt',
  ]);
  assert.deepEqual(
    readdirSync(tmpdir()).filter((n) => n.startsWith('sersync-exclude-')),
    [],
    'temp exclude file removed',
  );
});

test('rsync exit 23 surfaces the failed path; the other paths arrive', async () => {
  const { src, dst, runner, batch, recorded } = setup('partial', { del: false });
  writeFileSync(join(src, 'conf'), 'a file at the source');
  writeFileSync(join(src, 'fine.txt'), 'ok');
  mkdirSync(join(dst, 'conf/inner'), { recursive: true });
  writeFileSync(join(dst, 'conf/inner/q'), 'a directory at the target');
  const outcome = await runner(batch([{ path: 'conf' }, { path: 'fine.txt' }]));
  // rsync's own line comes with it (for /status lastError).
  assert.deepEqual(verdictOf(outcome), {
    kind: 'partial',
    failedPaths: ['conf'],
    errorLine: 'could not make way for new regular file: conf',
  });
  assert.ok(factsOf(outcome).items >= 1, 'fine.txt was reported sent');
  assert.equal(readFileSync(join(dst, 'fine.txt'), 'utf8'), 'ok');
  assert.deepEqual(recorded, ['5888 conf']);
});

/** A stand-in for rsync that never ends and has a child of its own (the group kill must get both). */
function sleeper(marker: string): string {
  const bin = join(tmp.path, `rsync-${marker}`);
  writeFileSync(bin, `#!/bin/sh\nsh -c 'sleep 300; : ${marker}' &\nwait\n`);
  chmodSync(bin, 0o755);
  return bin;
}

function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) pids.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const job = (id: number, rsyncPath: string, cwd: string, timeoutMs = 0): SyncJob => ({
  kind: 'paths',
  id,
  rsyncPath,
  argv: ['--x'],
  cwd,
  paths: ['a'],
  timeoutMs,
});

test('forced pool close kills running rsync groups and leaves no process behind', async () => {
  const marker = `m${process.pid}x${Date.now()}`;
  const bin = sleeper(marker);
  const p = createPool({ threads: 2 });
  const runs = [1, 2, 3].map((i) =>
    p.run(job(i, bin, tmp.path)).then(
      (r) => r.outcome.kind,
      (e: unknown) => (e instanceof PoolClosedError ? 'pool-closed' : String(e)),
    ),
  );
  await eventually(() => processesWith(marker).length >= 4, {
    what: 'two running stand-ins with children',
  });
  await p.close({ force: true });
  // Which two jobs ran is up to piscina; the third was queued: rejected, or returned unspawned.
  const kinds = (await Promise.all(runs)).sort();
  assert.ok(
    kinds.join() === 'pool-closed,signaled,signaled' ||
      kinds.join() === 'signaled,signaled,signaled',
    kinds.join(),
  );
  assert.deepEqual(processesWith(marker), []);
});

test('the worker kills a run at its time limit (timed-out) without orphans; a missing rsync is a spawn error', async () => {
  const marker = `t${process.pid}x${Date.now()}`;
  const r = await pool.run(job(10, sleeper(marker), tmp.path, 300));
  assert.equal(r.outcome.kind, 'timed-out');
  assert.deepEqual(processesWith(marker), []);
  const missing = await pool.run(job(11, join(tmp.path, 'no-such-rsync'), tmp.path));
  assert.ok(missing.outcome.kind === 'spawn-error');
  assert.match(missing.outcome.message, /ENOENT/);
  assert.equal(classify(missing.outcome).verdict, 'fatal');
});

test('graceful pool close lets a running job finish, then refuses new jobs', async () => {
  const go = join(tmp.path, 'go-signal');
  const bin = join(tmp.path, 'rsync-waits-for-go');
  const started = join(tmp.path, 'waiter-started');
  writeFileSync(
    bin,
    `#!/bin/sh\n: > '${started}'\nwhile [ ! -e '${go}' ]; do sleep 0.02; done\nexit 0\n`,
  );
  chmodSync(bin, 0o755);
  const p = createPool({ threads: 1 });
  const order: string[] = [];
  const run = p.run(job(20, bin, tmp.path)).then((r) => {
    order.push(`run ${r.outcome.kind}`);
  });
  await eventually(() => existsSync(started), { what: 'the job to start' });
  const closed = p.close().then(() => {
    order.push('closed');
  });
  await assert.rejects(p.run(job(21, bin, tmp.path)), PoolClosedError);
  writeFileSync(go, '');
  await Promise.all([run, closed]);
  assert.deepEqual(order, ['run exited', 'closed']);
});

test('an idle pool holds no worker thread: the first run boots one, it exits when idle, a later run boots another', async () => {
  const threads = (): number => readdirSync('/proc/self/task').length;
  const bin = join(tmp.path, 'rsync-true');
  writeFileSync(bin, '#!/bin/sh\nexit 0\n');
  chmodSync(bin, 0o755);
  const p = createPool({ threads: 2, idleTimeoutMs: 200, inline: false });
  const before = threads();
  assert.equal((await p.run(job(30, bin, tmp.path))).outcome.kind, 'exited');
  assert.ok(threads() > before, 'a worker thread ran the job');
  await eventually(() => threads() <= before, { what: 'the idle worker thread to exit' });
  assert.equal((await p.run(job(31, bin, tmp.path))).outcome.kind, 'exited');
  await p.close();
  assert.ok(threads() <= before, 'close leaves no worker thread');
});

test('rsync started by the worker thread holds only its pipes and the script, in a raw-byte root, with SIGPIPE at default', async () => {
  const root = `${tmp.path}/root${decodeName(Buffer.of(0xe9))}`;
  mkdirSync(encodeName(root));
  const report = join(tmp.path, 'fd-report');
  const bin = join(tmp.path, 'rsync-fd-report');
  // An inner shell reports on the stand-in (its parent), which itself redirects nothing.
  // (dash sets up a command's redirections in itself before it forks: the inner one writes.)
  const inner = `{ pwd -P; grep ^SigIgn /proc/$PPID/status; ls -l /proc/$PPID/fd; } > "${report}"`;
  writeFileSync(bin, `#!/bin/sh\nsh -c '${inner}'\ncat > /dev/null\n`);
  chmodSync(bin, 0o755);
  // What the test process itself hands any child: its fds without O_CLOEXEC.
  const inherited = readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return Number(fd) > 2 && (parseInt(flags?.[1] ?? '0', 8) & 0o2000000) === 0
        ? [`${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`]
        : [];
    } catch {
      return []; // readdir's own fd
    }
  });
  const p = createPool({ threads: 1, inline: false });
  try {
    assert.equal((await p.run(job(40, bin, root))).outcome.kind, 'exited');
  } finally {
    await p.close();
  }
  const [cwd, sigIgn, ...ls] = readFileSync(report).toString('latin1').trim().split('\n');
  const fds = ls.flatMap((l) => {
    const m = / (\d+) -> (.*)$/.exec(l);
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
  assert.equal(cwd, encodeName(root).toString('latin1'));
  assert.match(sigIgn ?? '', /^SigIgn:\s*0+$/);
  const stdio = fds.filter((l) => /^[012] (pipe|socket):\[\d+\]$/.test(l));
  assert.equal(stdio.length, 3, fds.join('; '));
  const rest = fds.filter((l) => !stdio.includes(l) && !l.endsWith(` ${bin}`));
  assert.deepEqual(rest.sort(), inherited.sort(), 'no fd of the service leaks into rsync');
});
