// Drop-in details of the command line, run the way init scripts run it: the process is named
// after the command (pidof / pgrep -x / /proc/PID/comm), `-m NAME` does not need the <sersync>
// localpath, and `-d` returns after SERSYNC_START_TIMEOUT even when the start takes longer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  execFileSync,
  spawn,
  type ChildProcess,
  type ChildProcessByStdio,
} from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/rsyncd.js';
import { CLI, confXml } from '../helpers/service.js';
import { pluginConfXml, startTcpRecorder } from '../helpers/plugin-conf.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('sersync-dropin-cli-');
const children: ChildProcess[] = [];
const pids: number[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tmp.cleanup();
});

interface Started {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  output(): string;
  done: Promise<number | null>;
}

function start(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  // stdio pipes: stdout and stderr are never null.
  const proc = spawn(process.execPath, [script, ...args], {
    cwd: tmp.path,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  const add = (d: Buffer): void => {
    out += d.toString();
  };
  proc.stdout.on('data', add);
  proc.stderr.on('data', add);
  const done = new Promise<number | null>((r) => {
    proc.once('close', r);
  });
  return { proc, output: () => out, done };
}

function simpleConf(name: string, watch: string, extra = ''): string {
  const file = join(tmp.path, `${name}.xml`);
  writeFileSync(
    file,
    confXml({
      roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: 873,
      failLog: join(tmp.path, `${name}-fail.sh`),
      extraDaemonAttrs: extra,
    }),
  );
  return file;
}

for (const name of ['sersync', 'sersync2']) {
  test(`invoked as ${name}: /proc/PID/comm, pgrep -x and pidof find it by that name`, async () => {
    const bin = join(tmp.path, `bin-${name}`);
    mkdirSync(bin, { recursive: true });
    symlinkSync(CLI, join(bin, name));
    const watch = join(tmp.path, `w-${name}`);
    mkdirSync(watch);
    const s = start(join(bin, name), ['-o', simpleConf(name, watch)]);
    await eventually(() => /ready: watching /.test(s.output()), { what: `${name} ready` });
    const pid = s.proc.pid ?? 0;
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), name);
    const pgrep = execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n');
    assert.ok(pgrep.includes(String(pid)), `pgrep -x ${name}: ${pgrep.join(' ')}`);
    const pidof = execFileSync('pidof', [name], { encoding: 'utf8' }).trim().split(' ');
    assert.ok(pidof.includes(String(pid)), `pidof ${name}: ${pidof.join(' ')}`);
    s.proc.kill('SIGTERM');
    assert.equal(await s.done, 0);
  });
}

test('run as cli.js (npm start, tests): the process is called sersync', async () => {
  const watch = join(tmp.path, 'w-cli');
  mkdirSync(watch);
  const s = start(CLI, ['-o', simpleConf('cli', watch)]);
  await eventually(() => /ready: watching /.test(s.output()), { what: 'ready' });
  assert.equal(readFileSync(`/proc/${s.proc.pid ?? 0}/comm`, 'utf8').trim(), 'sersync');
  s.proc.kill('SIGTERM');
  assert.equal(await s.done, 0);
});

test('-m socket: a <sersync><localpath> that does not exist and has no <remote> is not needed', async () => {
  const rec = await startTcpRecorder();
  after(() => rec.close());
  const plugRoot = join(tmp.path, 'plug-root');
  mkdirSync(plugRoot);
  const conf = join(tmp.path, 'msocket.xml');
  writeFileSync(
    conf,
    pluginConfXml({
      roots: [{ watch: join(tmp.path, 'not-mounted'), remotes: [] }],
      port: await freePort(),
      failLog: join(tmp.path, 'msocket-fail.sh'),
      plugins: { socket: [{ watch: plugRoot, deshosts: [{ ip: '127.0.0.1', port: rec.port }] }] },
    }),
  );
  // Without -m the same file is refused: the watch root is missing (the test can fail).
  const plain = start(CLI, ['--check', '-o', conf]);
  assert.equal(await plain.done, 78, plain.output());
  assert.match(plain.output(), /not-mounted" does not exist/);
  const check = start(CLI, ['--check', '-m', 'socket', '-o', conf]);
  assert.equal(await check.done, 0, check.output());

  const s = start(CLI, ['-m', 'socket', '-o', conf]);
  await eventually(() => /ready: watching /.test(s.output()), { what: '-m socket ready' });
  writeFileSync(join(plugRoot, 'a.txt'), 'a');
  await eventually(() => rec.received().includes(join(plugRoot, 'a.txt')), {
    what: 'the socket plugin to send the path',
  });
  s.proc.kill('SIGTERM');
  assert.equal(await s.done, 0, s.output());
});

test('-m command with a <sersync><localpath> that does not exist: a warning, then exit 72 (NO_ROOT) with the reason, no stack', async () => {
  const conf = join(tmp.path, 'mcommand.xml');
  writeFileSync(
    conf,
    pluginConfXml({
      roots: [{ watch: join(tmp.path, 'not-there'), remotes: [] }],
      port: await freePort(),
      failLog: join(tmp.path, 'mcommand-fail.sh'),
      plugins: { command: { prefix: 'echo' } },
    }),
  );
  const s = start(CLI, ['-m', 'command', '-o', conf]);
  assert.equal(await s.done, 72, s.output());
  assert.match(s.output(), /warning: sersync\/localpath@watch: expected an existing directory/);
  assert.match(s.output(), /cannot start watching: .*not-there/);
  assert.doesNotMatch(s.output(), /internal error|\n\s+at /);
});

test('-d: returns 0 with "still starting" after SERSYNC_START_TIMEOUT; the background process goes on to ready', async () => {
  const watch = join(tmp.path, 'w-slow');
  mkdirSync(watch);
  const release = join(tmp.path, 'release-start');
  // A stand-in rsync whose --version check blocks in the background process until the test says.
  const rsync = join(tmp.path, 'slow-rsync');
  writeFileSync(
    rsync,
    `#!/bin/sh
if [ -n "$SERSYNC_DAEMON_CHILD" ] && [ "$1" = --version ]; then
  while [ ! -e '${release}' ]; do sleep 0.05; done
fi
exec rsync "$@"
`,
  );
  chmodSync(rsync, 0o755);
  const pidFile = join(tmp.path, 'slow-run', 'sersync.pid');
  const logFile = join(tmp.path, 'slow-log', 'sersync.log');
  const conf = simpleConf('slow', watch, `pidFile="${pidFile}" logFile="${logFile}"`);

  const bad = start(CLI, ['-d', '-o', conf], { SERSYNC_START_TIMEOUT: 'soon' });
  assert.equal(await bad.done, 64, bad.output());
  assert.match(bad.output(), /SERSYNC_START_TIMEOUT must be a whole number of seconds/);

  const began = Date.now();
  const d = start(CLI, ['-d', '-o', conf], { SERSYNC_RSYNC: rsync, SERSYNC_START_TIMEOUT: '1' });
  assert.equal(await d.done, 0, d.output());
  assert.ok(Date.now() - began < 20_000);
  const m = /sersync still starting in background after 1 s: pid (\d+), see (.+) for "ready"/.exec(
    d.output(),
  );
  assert.ok(m, d.output());
  const pid = Number(m[1]);
  pids.push(pid);
  assert.equal(m[2], logFile);
  assert.doesNotMatch(readFileSync(logFile, 'utf8'), /ready: watching/);
  writeFileSync(release, '');
  await eventually(() => /ready: watching /.test(readFileSync(logFile, 'utf8')), {
    what: 'the background process to become ready',
  });
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(pid));
  process.kill(pid, 'SIGTERM');
  await eventually(() => !existsSync(pidFile), { what: 'the background process to stop' });
});
