// Issue 4, end to end: the real CLI against a real loopback rsync daemon, through crashes,
// restarts, a dead rsync daemon, failing rsync runs, inotify queue overflows and config reloads.
// The oracle is always the same: the target tree equals the source tree (waited for with a
// deadline), and nothing is lost without a log line.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBurst } from '../helpers/burst.js';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml, startService, type ConfOptions, type Service } from '../helpers/service.js';
import { writeStubRsync } from '../helpers/stub-rsync.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

interface RigConf {
  /** Modules of the rsync daemon that get a `<remote>` (default: all of them). */
  readonly remotes?: readonly string[];
  readonly excludes?: string[];
  /** `<failLog retryCap>` in seconds (our extension): keeps the backoff short in tests. */
  readonly retryCapSeconds?: number;
}

interface Rig {
  readonly dir: string;
  readonly src: string;
  /** Target directory of each module, by module name. */
  readonly dst: Readonly<Record<string, string>>;
  readonly failLog: string;
  readonly rsyncd: Rsyncd;
  /** A complete confxml.xml for this rig. */
  xml(conf?: RigConf): string;
  /** Starts the real CLI on `xml` (written to dir/confxml.xml); killed at cleanup if still running. */
  start(xml: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<Service>;
  /** Waits (deadline `timeoutMs`, default 30 s) until the module's target equals src. */
  converged(what: string, opts?: { module?: string; timeoutMs?: number }): Promise<void>;
  /** Outstanding fail-log text ('' when the file is absent or empty). */
  failLogText(): string;
  /** The path of dir/confxml.xml. */
  readonly confPath: string;
  cleanup(): Promise<void>;
}

/** Sets up src/, one rsync daemon serving `modules` (each at dst-<name>/) and a conf writer. */
async function makeRig(prefix: string, modules: readonly string[] = ['mod']): Promise<Rig> {
  const tmp = tmpDir(prefix);
  const src = join(tmp.path, 'src');
  mkdirSync(src);
  const dst: Record<string, string> = {};
  for (const m of modules) dst[m] = join(tmp.path, `dst-${m}`);
  const rsyncd = await startRsyncd(
    join(tmp.path, 'rsyncd'),
    modules.map((name) => ({ name, path: join(tmp.path, `dst-${name}`) })),
  );
  const failLog = join(tmp.path, 'rsync_fail_log.sh');
  const services: Service[] = [];
  const xml = (conf: RigConf = {}): string => {
    const opts: ConfOptions = {
      roots: [
        {
          watch: src,
          remotes: (conf.remotes ?? modules).map((name) => ({ ip: '127.0.0.1', name })),
        },
      ],
      port: rsyncd.port,
      failLog,
      watcher: 'inotify',
      // Not -u: a target file changed behind the service's back must be overwritten.
      commonParams: '-artz',
      ...(conf.excludes ? { excludes: conf.excludes } : {}),
    };
    const text = confXml(opts);
    if (conf.retryCapSeconds === undefined) return text;
    const withCap = text.replace(
      'timeToExecute="60"',
      `timeToExecute="60" retryCap="${conf.retryCapSeconds}"`,
    );
    if (withCap === text)
      throw new Error('confXml layout changed: cannot add retryCap to <failLog>');
    return withCap;
  };
  return {
    dir: tmp.path,
    src,
    dst,
    failLog,
    rsyncd,
    confPath: join(tmp.path, 'confxml.xml'),
    xml,
    async start(text, args = [], env = {}) {
      const s = await startService(tmp.path, text, args, env);
      services.push(s);
      return s;
    },
    async converged(what, opts = {}) {
      const module = opts.module ?? modules[0] ?? 'mod';
      const target = dst[module] ?? '';
      await eventually(
        () => {
          const d = diffTrees(src, target);
          if (d.length > 0)
            throw new Error(`${d.length} difference(s): ${d.slice(0, 5).join('; ')}`);
          return true;
        },
        {
          timeoutMs: opts.timeoutMs ?? 30_000,
          intervalMs: 100,
          what: `${what}: target ${module} == source`,
        },
      );
    },
    failLogText: () => (existsSync(failLog) ? readFileSync(failLog, 'utf8') : ''),
    async cleanup() {
      for (const s of services) {
        if (s.proc.exitCode === null && s.proc.signalCode === null) {
          s.proc.kill('SIGCONT'); // in case a test stopped it
          s.proc.kill('SIGKILL');
          await s.stop();
        }
      }
      await rsyncd.stop();
      tmp.cleanup();
    },
  };
}

/** The lines of `text` after character offset `from` that match `re`. */
function linesAfter(text: string, from: number, re: RegExp): string[] {
  return text
    .slice(from)
    .split('\n')
    .filter((l) => re.test(l));
}

/** Sum of the first capture group of every line of `text` matching `re`. */
function sumOf(text: string, re: RegExp): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

/** The scheduling state letter of a process (`T` when stopped), from /proc/PID/stat. */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Waits until the service logs a line matching `re` after `from`; fails fast if it exits. */
async function logged(svc: Service, from: number, re: RegExp, what: string): Promise<void> {
  await eventually(
    () => {
      if (svc.proc.exitCode !== null || svc.proc.signalCode !== null) {
        throw new Error(
          `the service exited (${svc.proc.exitCode ?? svc.proc.signalCode ?? ''}): ${svc.output().slice(from)}`,
        );
      }
      return linesAfter(svc.output(), from, re).length > 0;
    },
    { timeoutMs: 30_000, what },
  );
}

const RUN_LINE = /rsync -> \S+: \d+ paths?, exit \d+/;

async function withRig(t: TestContext, prefix: string, modules?: readonly string[]): Promise<Rig> {
  const rig = await makeRig(prefix, modules);
  t.after(() => rig.cleanup());
  return rig;
}

describe('reliability: restarts', () => {
  it('changes made while the service is stopped are synced by a restart without -r', async (t) => {
    const rig = await withRig(t, 'sersync-rel-stopped-');
    mkdirSync(join(rig.src, 'dir', 'sub'), { recursive: true });
    for (const f of ['keep.txt', 'mod.txt', 'gone.txt', 'dir/a.txt', 'dir/sub/b.txt'])
      writeFileSync(join(rig.src, f), `v1 ${f}`);
    const xml = rig.xml();
    const first = await rig.start(xml, ['-r']);
    await rig.converged('-r push');
    assert.equal(await first.stop(), 0, first.output());

    writeFileSync(join(rig.src, 'mod.txt'), 'v2, longer than v1');
    rmSync(join(rig.src, 'gone.txt'));
    writeFileSync(join(rig.src, 'new.txt'), 'new');
    mkdirSync(join(rig.src, 'newdir', 'deep'), { recursive: true });
    writeFileSync(join(rig.src, 'newdir', 'deep', 'c.txt'), 'c');
    renameSync(join(rig.src, 'dir'), join(rig.src, 'dir2'));

    const second = await rig.start(xml);
    await rig.converged('restart without -r');
    writeFileSync(join(rig.src, 'newdir', 'deep', 'after.txt'), 'written after the restart');
    await rig.converged('a change after the restart');
    assert.equal(await second.stop(), 0, second.output());
  });

  it('kill -9 during a 5,000-file burst, restart without -r: target equals source', async (t) => {
    const rig = await withRig(t, 'sersync-rel-kill9-');
    const xml = rig.xml();
    const first = await rig.start(xml);
    const burst = startBurst(rig.src, { files: 5000, perDir: 250, pauseAt: 2500 });
    t.after(() => burst.proc.kill());
    await burst.reached(2500);
    // Kill it while it has synced part of the burst and holds the rest (pending or in flight).
    await logged(first, 0, RUN_LINE, 'a first rsync run of the burst');
    first.proc.kill('SIGKILL');
    await first.stop();
    burst.resume(); // the second half is written while the service is down
    await burst.done;

    const second = await rig.start(xml);
    await rig.converged('restart after kill -9', { timeoutMs: 60_000 });
    assert.equal(await second.stop(), 0, second.output());
  });

  it('SIGTERM during a burst exits 0, and a restart completes the burst', async (t) => {
    const rig = await withRig(t, 'sersync-rel-term-');
    const xml = rig.xml();
    const first = await rig.start(xml);
    const burst = startBurst(rig.src, { files: 5000, perDir: 250, pauseAt: 2500 });
    t.after(() => burst.proc.kill());
    await burst.reached(2500);
    await logged(first, 0, RUN_LINE, 'a first rsync run of the burst');
    assert.equal(await first.stop(), 0, first.output());
    burst.resume();
    await burst.done;

    const second = await rig.start(xml);
    await rig.converged('restart after SIGTERM', { timeoutMs: 60_000 });
    assert.equal(await second.stop(), 0, second.output());
  });
});

describe('reliability: failing rsync', () => {
  it('rsync daemon stopped, 1,000 changes, started again: target equals source, fail log empty', async (t) => {
    const rig = await withRig(t, 'sersync-rel-down-');
    const svc = await rig.start(rig.xml({ retryCapSeconds: 2 }));
    writeFileSync(join(rig.src, 'before.txt'), 'before');
    await rig.converged('before the rsync daemon stops');

    await rig.rsyncd.stop();
    const from = svc.output().length;
    const burst = startBurst(rig.src, { files: 1000, perDir: 100 });
    t.after(() => burst.proc.kill());
    await burst.done;
    // Down for "a few seconds": until runs have failed, been scheduled again and been recorded.
    await eventually(
      () =>
        linesAfter(svc.output(), from, /retry in [\d.]+ s: \d+ path/).length >= 2 &&
        rig.failLogText() !== '',
      {
        timeoutMs: 30_000,
        what: 'failed runs scheduled for retry and recorded in the fail log',
      },
    );
    assert.ok(
      linesAfter(svc.output(), from, /: \d+ paths?, exit [1-9]\d*, /).length > 0,
      'failed runs are logged',
    );

    await rig.rsyncd.start();
    await rig.converged('after the rsync daemon is back', { timeoutMs: 60_000 });
    await eventually(() => rig.failLogText() === '', {
      timeoutMs: 30_000,
      what: 'an empty fail log',
    });
    assert.equal(await svc.stop(), 0, svc.output());
  });

  it('a stub rsync failing with 10, 12, 23, 24, 30: every path is retried, logged and finally synced', async (t) => {
    const rig = await withRig(t, 'sersync-rel-stub-');
    const codes = [10, 12, 23, 24, 30];
    const stub = writeStubRsync(join(rig.dir, 'stub'), codes);
    const svc = await rig.start(rig.xml({ retryCapSeconds: 1 }), ['-n', '1'], {
      SERSYNC_RSYNC: stub.path,
    });
    for (let i = 0; i < 20; i++) writeFileSync(join(rig.src, `file-${i}.txt`), `content ${i}`);

    await rig.converged('after the failing runs', { timeoutMs: 60_000 });
    await eventually(() => rig.failLogText() === '', {
      timeoutMs: 30_000,
      what: 'an empty fail log',
    });
    const calls = stub.calls();
    assert.deepEqual(
      calls.slice(0, codes.length).map((l) => Number(l.split(' ')[1])),
      codes,
      calls.join('\n'),
    );
    assert.ok(
      calls.length > codes.length,
      `a run after the failing ones succeeded:\n${calls.join('\n')}`,
    );

    const out = svc.output();
    for (const c of codes)
      assert.match(out, new RegExp(`: \\d+ paths?, exit ${c}, `), `a logged run with exit ${c}`);
    // Every path of every failed run is announced as retried: none is dropped silently.
    const failed = sumOf(out, /: (\d+) paths?, exit [1-9]\d*, /);
    const retried = sumOf(out, /retry in [\d.]+ s: (\d+) path/);
    assert.ok(failed > 0);
    assert.equal(retried, failed, out);
    assert.equal(await svc.stop(), 0, out);
  });
});

describe('reliability: inotify queue overflow', () => {
  it('a simulated IN_Q_OVERFLOW (SIGUSR2 test hook) makes a full sync that repairs the target', async (t) => {
    const rig = await withRig(t, 'sersync-rel-simovf-');
    const svc = await rig.start(rig.xml(), [], { SERSYNC_TEST_HOOKS: '1' });
    mkdirSync(join(rig.src, 'dir'));
    for (const f of ['a.txt', 'b.txt', 'dir/c.txt']) writeFileSync(join(rig.src, f), `v1 ${f}`);
    await rig.converged('before the overflow');
    // Stand-ins for lost events: the target changes behind the service's back, so only the full
    // sync an overflow requests can make it equal to the source again.
    const dst = rig.dst['mod'] ?? '';
    rmSync(join(dst, 'a.txt'));
    writeFileSync(join(dst, 'extra.txt'), 'not in the source');
    writeFileSync(join(dst, 'dir', 'c.txt'), 'tampered, other size');

    const from = svc.output().length;
    svc.proc.kill('SIGUSR2');
    await logged(svc, from, /overflow/i, 'the overflow to be logged');
    await rig.converged('after the simulated overflow');
    assert.equal(await svc.stop(), 0, svc.output());
  });

  it('a real IN_Q_OVERFLOW (tiny max_queued_events, reader stopped) is repaired by a full sync', async (t) => {
    const knob = '/proc/sys/fs/inotify/max_queued_events';
    if (process.getuid?.() !== 0) {
      t.diagnostic(
        `not root: cannot lower ${knob}, so no real overflow is forced here (the simulated one is tested)`,
      );
      return;
    }
    const rig = await withRig(t, 'sersync-rel-ovf-');
    const original = readFileSync(knob, 'utf8').trim();
    let svc: Service;
    // The limit is copied into each inotify instance when it is created: lowered only while the
    // service starts (its instances get the tiny queue), restored right after.
    writeFileSync(knob, '32');
    try {
      svc = await rig.start(rig.xml());
    } finally {
      writeFileSync(knob, original);
    }
    assert.equal(readFileSync(knob, 'utf8').trim(), original);

    const pid = svc.proc.pid ?? 0;
    const from = svc.output().length;
    process.kill(pid, 'SIGSTOP');
    try {
      await eventually(() => procState(pid) === 'T', {
        timeoutMs: 5_000,
        what: 'the service to be stopped',
      });
      // Far more events than the queue holds while nobody reads: the kernel queues IN_Q_OVERFLOW.
      for (let i = 0; i < 200; i++) writeFileSync(join(rig.src, `ovf-${i}.txt`), `overflow ${i}`);
      mkdirSync(join(rig.src, 'newdir', 'sub'), { recursive: true });
      for (let i = 0; i < 20; i++)
        writeFileSync(join(rig.src, 'newdir', 'sub', `n-${i}.txt`), `n ${i}`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await logged(svc, from, /overflow/i, 'the overflow to be logged');
    await rig.converged('after the overflow');
    // The directory created during the overflow is watched after the rescan.
    writeFileSync(join(rig.src, 'newdir', 'sub', 'later.txt'), 'later');
    await rig.converged('a write in a directory created during the overflow');
    assert.equal(await svc.stop(), 0, svc.output());
  });
});

describe('reliability: SIGHUP', () => {
  it('reloads the config; a broken one is rejected with the --check errors and syncing goes on', async (t) => {
    const rig = await withRig(t, 'sersync-rel-hup-', ['a', 'b']);
    const dstA = rig.dst['a'] ?? '';
    const dstB = rig.dst['b'] ?? '';
    const svc = await rig.start(rig.xml({ remotes: ['a'] }));
    writeFileSync(join(rig.src, 'one.txt'), 'one');
    writeFileSync(join(rig.src, 'one.tmp'), 'not excluded yet');
    await rig.converged('first config', { module: 'a' });

    // New config: a second <remote> and an exclude.
    const second = rig.xml({ remotes: ['a', 'b'], excludes: ['.*\\.tmp'] });
    writeFileSync(rig.confPath, second);
    let from = svc.output().length;
    svc.proc.kill('SIGHUP');
    await logged(svc, from, /ready: watching /, 'the service to be ready with the new config');
    writeFileSync(join(rig.src, 'two.tmp'), 'excluded now');
    writeFileSync(join(rig.src, 'two.txt'), 'two');
    const arrived = (name: string, content: string) => (): boolean =>
      [dstA, dstB].every(
        (d) => existsSync(join(d, name)) && readFileSync(join(d, name), 'utf8') === content,
      );
    await eventually(arrived('two.txt', 'two'), {
      timeoutMs: 30_000,
      what: 'two.txt at both remotes',
    });
    assert.equal(existsSync(join(dstA, 'two.tmp')), false, 'the new exclude applies (remote a)');
    assert.equal(existsSync(join(dstB, 'two.tmp')), false, 'the new exclude applies (remote b)');

    // A broken config: rejected with the errors --check prints, the running config stays.
    const broken = second.replace(
      '<timeout start="true" time="100"/>',
      '<timeout start="true" time="abc"/>',
    );
    assert.notEqual(broken, second, 'confXml layout changed: cannot break <timeout>');
    writeFileSync(rig.confPath, broken);
    const check = spawnSync(process.execPath, [CLI, '--check', '-o', rig.confPath], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 78, check.stderr);
    const expected = check.stderr
      .split('\n')
      .filter((l) => / error: /.test(l))
      .map((l) => l.replace(/^sersync: /, ''));
    assert.ok(
      expected.length > 0 && expected.every((e) => e.startsWith(`${rig.confPath}:`)),
      check.stderr,
    );
    from = svc.output().length;
    svc.proc.kill('SIGHUP');
    await eventually(
      () => {
        if (svc.proc.exitCode !== null || svc.proc.signalCode !== null)
          throw new Error(`the service exited: ${svc.output().slice(from)}`);
        const since = svc.output().slice(from);
        return expected.every((e) => since.includes(e));
      },
      { timeoutMs: 30_000, what: `the --check errors in the log (${expected.join(' | ')})` },
    );
    writeFileSync(join(rig.src, 'three.tmp'), 'still excluded');
    writeFileSync(join(rig.src, 'three.txt'), 'three');
    await eventually(arrived('three.txt', 'three'), {
      timeoutMs: 30_000,
      what: 'three.txt at both remotes',
    });
    assert.equal(
      existsSync(join(dstA, 'three.tmp')),
      false,
      'the previous config still applies (remote a)',
    );
    assert.equal(
      existsSync(join(dstB, 'three.tmp')),
      false,
      'the previous config still applies (remote b)',
    );
    assert.equal(svc.proc.exitCode, null);
    assert.equal(await svc.stop(), 0, svc.output());
  });
});
