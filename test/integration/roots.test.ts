// Issues 14.1 and 13.6, end to end: the real CLI against a real loopback rsync daemon. An empty
// directory stands in for an unmounted disk (the real one is renamed away, as its mount would be
// gone); a missing root is waited for; a root that vanishes at runtime is not synced from. The
// oracle: what the target holds, what /healthz answers, what the log says.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { freePort, startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

/** Short root poll and crontab-free runs: the tests wait for outcomes, not for 5 s polls. */
const ENV = { SERSYNC_ROOT_POLL_MS: '200' };

interface Rig {
  readonly dir: string;
  readonly src: string;
  readonly dst: string;
  readonly rsyncd: Rsyncd;
  readonly statusPort: number;
  xml(extraDaemonAttrs?: string): string;
  start(args?: string[], extraDaemonAttrs?: string): Promise<Service>;
  health(): Promise<{ status: number; body: string }>;
  converged(what: string): Promise<void>;
}

async function rig(t: TestContext): Promise<Rig> {
  const tmp = tmpDir('sersync-roots-');
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  const statusPort = await freePort();
  const services: Service[] = [];
  t.after(async () => {
    for (const s of services) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await Promise.all(services.map((s) => s.stop()));
    await rsyncd.stop();
    tmp.cleanup();
  });
  const xml = (extraDaemonAttrs?: string): string =>
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'fail.sh'),
      watcher: 'inotify',
      commonParams: '-artz',
      statusPort,
      ...(extraDaemonAttrs === undefined ? {} : { extraDaemonAttrs }),
    });
  return {
    ...{ dir: tmp.path, src, dst, rsyncd, statusPort, xml },
    async start(args = [], extra) {
      const s = await startService(tmp.path, xml(extra), args, ENV);
      services.push(s);
      return s;
    },
    async health() {
      const r = await fetch(`http://127.0.0.1:${statusPort}/healthz`);
      return { status: r.status, body: (await r.text()).trim() };
    },
    async converged(what) {
      await eventually(
        () => {
          const d = diffTrees(src, dst);
          if (d.length > 0)
            throw new Error(`${d.length} difference(s): ${d.slice(0, 3).join('; ')}`);
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `${what}: target == source` },
      );
    },
  };
}

/** 3 × `perDir` files in src (60 by default), pushed by -r and recorded; the service is stopped after. */
async function sixtySynced(r: Rig, perDir = 20): Promise<void> {
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(r.src, `d${d}`), { recursive: true });
    for (let f = 0; f < perDir; f++)
      writeFileSync(join(r.src, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  const s = await r.start(['-r']);
  await r.converged('the -r push of 60 files');
  await eventually(async () => (await r.health()).status === 200, { what: 'healthy after -r' });
  assert.equal(await s.stop(), 0);
}

const filesAt = (dir: string): number =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

/** Waits for /healthz to answer 503 with a body matching `re`. */
async function unhealthy(r: Rig, re: RegExp, what: string): Promise<string> {
  return eventually(
    async () => {
      const h = await r.health();
      return h.status === 503 && re.test(h.body) ? h.body : undefined;
    },
    { timeoutMs: 15_000, what },
  );
}

describe('roots and guards', () => {
  it('an empty stand-in for an unmounted disk: the target keeps 60 of 60, 503 names why; the disk back -> resumes by itself', async (t) => {
    const r = await rig(t);
    await sixtySynced(r);
    const disk = join(r.dir, 'disk');
    renameSync(r.src, disk); // "unmount": the mount point directory is empty
    mkdirSync(r.src);
    const s = await r.start(); // a restart: the catch-up full sync with --delete is asked
    const body = await unhealthy(
      r,
      /is empty, but the last successful sync .* saw 63 entries/,
      '503 naming the empty root',
    );
    assert.match(body, /^sync from .*src refused: /);
    assert.match(
      s.output(),
      /\[error\] full sync of \S+src refused: \S+src is empty, but the last successful sync/,
    );
    assert.equal(filesAt(r.dst), 60, 'the target keeps 60 of 60');

    rmdirSync(r.src); // "mount": the disk's tree is back at the root
    renameSync(disk, r.src);
    await r.converged('the disk back');
    await eventually(async () => (await r.health()).status === 200, { what: '200 again' });
    assert.match(s.output(), /looks right again: the held full sync runs/);
    writeFileSync(join(r.src, 'd0', 'after.txt'), 'after the mount');
    await r.converged('a write after the mount');
    assert.equal(filesAt(r.dst), 61);
  });

  it('a missing root at start: no exit, 503; mkdir + files -> watched and synced; a later write is synced', async (t) => {
    const r = await rig(t);
    const s = await r.start();
    assert.match(
      s.output(),
      /ready: watching no root yet \(inotify, 0 directories\); waiting for \S+src to appear/,
    );
    assert.match(
      s.output(),
      /\[error\] watch root \S+src does not exist: waiting for it to appear/,
    );
    await unhealthy(r, /^waiting for \S+src to appear \(does not exist\)$/, '503 waiting');
    mkdirSync(join(r.src, 'sub'), { recursive: true });
    writeFileSync(join(r.src, 'sub', 'a.txt'), 'a');
    writeFileSync(join(r.src, 'b.txt'), 'b');
    await r.converged('the root that appeared');
    await eventually(async () => (await r.health()).status === 200, {
      what: '200 once it is watched',
    });
    writeFileSync(join(r.src, 'sub', 'later.txt'), 'later');
    await r.converged('a later write inside');
    assert.equal(s.proc.exitCode, null, 'still running');
  });

  it('the root moved away at runtime: the target is not wiped, 503; the root back -> resumes', async (t) => {
    const r = await rig(t);
    await sixtySynced(r);
    const s = await r.start();
    await eventually(async () => (await r.health()).status === 200, { what: 'healthy' });
    const away = join(r.dir, 'away');
    renameSync(r.src, away);
    await unhealthy(
      r,
      /^waiting for \S+src to appear \(does not exist\)$/,
      '503 after the root vanished',
    );
    writeFileSync(join(away, 'd1', 'while-away.txt'), 'written while away');
    // Crontab, overflow or restart would ask a full sync now: none may run from the missing root.
    assert.equal(filesAt(r.dst), 60);
    renameSync(away, r.src);
    await r.converged('the root back');
    assert.equal(filesAt(r.dst), 61, 'what changed while it was away is caught up');
    await eventually(async () => (await r.health()).status === 200, { what: '200 again' });
    assert.match(s.output(), /watch root \S+src is there: watching it/);
  });

  it('the override --accept-roots runs the full sync from a root emptied on purpose', async (t) => {
    const r = await rig(t);
    await sixtySynced(r);
    rmSync(r.src, { recursive: true });
    mkdirSync(r.src);
    await r.start(['--accept-roots']);
    await r.converged('the emptied root pushed with --delete');
    assert.equal(filesAt(r.dst), 0);
    await eventually(async () => (await r.health()).status === 200, { what: 'healthy' });
  });

  it('--max-delete: a catch-up that would delete more than its share of the target stops there and holds the rest', async (t) => {
    const r = await rig(t);
    await sixtySynced(r, 100); // 300 files in 3 directories: 303 entries
    rmSync(join(r.src, 'd0'), { recursive: true });
    rmSync(join(r.src, 'd1'), { recursive: true }); // 202 of 303 entries gone while stopped
    const s = await r.start([], 'maxDeletePercent="10"');
    await unhealthy(
      r,
      /stopped at the --max-delete limit of 100 \(10 % of the 303 entries the last successful sync counted, \S+, at least 100\)/,
      '503 naming the limit',
    );
    assert.match(s.output(), /Deletions stopped due to --max-delete limit/);
    const left = filesAt(r.dst);
    assert.ok(left >= 300 - 100 && left < 300, `at most 100 deleted, got ${300 - left}`);
  });

  it('--check reports a missing root as a warning and exits 0', async (t) => {
    const r = await rig(t);
    writeFileSync(join(r.dir, 'confxml.xml'), r.xml());
    const c = spawnSync(process.execPath, [CLI, '--check', '-o', join(r.dir, 'confxml.xml')], {
      encoding: 'utf8',
    });
    assert.equal(c.status, 0, c.stderr + c.stdout);
    const out = c.stdout + c.stderr;
    assert.match(
      out,
      /warning: sersync\/localpath@watch: expected an existing directory, but "?\S+src"? does not exist \(the service waits for it to appear/,
    );
    assert.match(out, /OK \(1 warning\(s\)\)/);
  });
});
