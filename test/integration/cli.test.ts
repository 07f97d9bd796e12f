// The `sersync` command run the way a user runs it (`node dist/src/cli.js …`): flag forms, help,
// version, --check, exit codes, rsync missing, and -d (background start, pid file, second instance
// refused, SIGTERM stops it and removes the pid file, no password in the log).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { tmpDir } from '../helpers/tmp.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml } from '../helpers/service.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (a -d parent exits once the background process is ready). */
function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? tmp.path,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.once('error', reject);
    p.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const tmp = tmpDir('sersync-cli-');
const PASSWORD = 'pw-Zq9-secret';
let rsyncd: Rsyncd;
const started: number[] = []; // background pids, killed in after() if a test failed midway
const src = join(tmp.path, 'src');
const dst = join(tmp.path, 'dst');
const good = join(tmp.path, 'good.xml');
const bad = join(tmp.path, 'bad.xml');

before(async () => {
  mkdirSync(src);
  rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [
    { name: 'mod', path: dst, auth: { user: 'syncer', password: PASSWORD } },
  ]);
  const pwFile = join(tmp.path, 'rsync.pas');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  chmodSync(pwFile, 0o600);
  writeFileSync(
    good,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'fail.sh'),
      auth: { user: 'syncer', passwordFile: pwFile },
      debug: true,
      extraDaemonAttrs: `pidFile="${join(tmp.path, 'run', 'sersync.pid')}" logFile="${join(tmp.path, 'log', 'sersync.log')}"`,
    }).replace('</head>', '  <unknownThing/>\n</head>'),
  );
  writeFileSync(
    bad,
    '<?xml version="1.0"?>\n<head>\n  <sersync>\n    <localpath watch=""/>\n  </sersync>\n</head>\n',
  );
});

after(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await rsyncd.stop();
  tmp.cleanup();
});

const noStack = (r: Run): void => {
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, 'no stack trace');
};

test('-h prints the English help listing every flag, exit 0', async () => {
  for (const flag of ['-h', '--help']) {
    const r = await run([flag]);
    assert.equal(r.code, 0);
    for (const f of ['-d', '-r', '-n', '-o', '-m', '-h', '--check', '--version'])
      assert.ok(r.stdout.includes(f), `${flag}: mentions ${f}`);
    assert.match(r.stdout, /background/);
    assert.equal(r.stderr, '');
  }
});

test('--version prints the package version, exit 0', async () => {
  const pkg = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^sersync ${pkg.version.replace(/\./g, '\\.')}\\b`));
});

test('every getopt form of the flags reaches the config loader (--check)', async () => {
  const forms = [
    ['-dro', good],
    ['-r', '-d', '-o', good],
    [`-o${good}`],
    ['-n', '4', '-o', good],
    ['-n4', '-m', 'socket', `-o${good}`],
    ['--config', good],
  ];
  for (const form of forms) {
    const r = await run(['--check', ...form]);
    assert.equal(r.code, 0, `${JSON.stringify(form)}: ${r.stderr}`);
    assert.match(r.stdout, /: OK \(1 warning\(s\)\)/, JSON.stringify(form));
  }
});

test('-o defaults to ./confxml.xml in the current directory', async () => {
  const dir = join(tmp.path, 'cwd-default');
  mkdirSync(dir);
  writeFileSync(join(dir, 'confxml.xml'), readFileSync(good));
  const r = await run(['--check'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /confxml\.xml: OK/);
});

test('--check on a good file: warnings printed with file:line:col, exit 0', async () => {
  const r = await run(['--check', '-o', good]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /good\.xml:\d+:\d+: warning: unknownThing: /);
});

test('--check on a bad file: every error printed with file:line:col, exit 78, no stack', async () => {
  for (const args of [
    ['--check', '-o', bad],
    ['-o', bad],
    ['-d', '-o', bad],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 78, JSON.stringify(args));
    assert.match(r.stderr, /bad\.xml:4:\d+: error: sersync\/localpath@watch: /);
    assert.match(r.stderr, /bad\.xml:\d+:\d+: error: sersync\/localpath: /);
    assert.match(r.stderr, /nothing was started/);
    noStack(r);
  }
  assert.equal(existsSync(join(tmp.path, 'run', 'sersync.pid')), false, 'no pid file');
  assert.equal(
    existsSync(join(tmp.path, 'log', 'sersync.log')),
    false,
    'no log file: the error went to the terminal',
  );
});

test('a missing config file: exit 66, the message names it, no stack', async () => {
  const r = await run(['-o', 'nope.xml']);
  assert.equal(r.code, 66);
  assert.match(r.stderr, /nope\.xml does not exist/);
  noStack(r);
  const d = await run([]);
  assert.equal(d.code, 66);
  assert.match(d.stderr, /confxml\.xml/);
});

test('usage errors: exit 64 with one line and a hint, no stack', async () => {
  const cases: [string[], RegExp][] = [
    [['-n', 'abc', '-o', good], /-n expects a whole number/],
    [['-n', '-2', '-o', good], /-n must not be negative/],
    [['-x'], /invalid option -- 'x'/],
    [['--bogus'], /unrecognized option '--bogus'/],
    [['-o', ''], /-o needs a config file name/],
    [['-o'], /option requires an argument -- 'o'/],
    [['-m', 'bogus', '-o', good], /-m expects one of/],
    [['-od', good], /unexpected argument/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 64, JSON.stringify(args));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /sersync -h/);
    assert.equal(r.stdout, '');
    noStack(r);
  }
});

test('rsync not installed: exit 69 and how to install it', async () => {
  const empty = join(tmp.path, 'empty-bin');
  mkdirSync(empty);
  const r = await run(['-o', good], { env: { PATH: empty } });
  assert.equal(r.code, 69);
  assert.match(r.stderr, /rsync was not found/);
  assert.match(r.stderr, /apt-get install -y rsync/);
  noStack(r);
});

test('-d: runs in the background with a pid file; a second start is refused; SIGTERM stops it and removes the pid file', async () => {
  const pidFile = join(tmp.path, 'run', 'sersync.pid');
  const logFile = join(tmp.path, 'log', 'sersync.log');
  const r = await run(['-r', '-d', '-o', good]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^sersync running in background: pid (\d+), log (.+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const pid = Number(m[1]);
  started.push(pid);
  assert.equal(m[2], logFile);
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(pid));
  assert.doesNotThrow(() => process.kill(pid, 0), 'the background process is alive');

  // It really syncs, detached from us.
  writeFileSync(join(src, 'hello.txt'), 'hello');
  await eventually(
    () =>
      existsSync(join(dst, 'hello.txt')) &&
      readFileSync(join(dst, 'hello.txt'), 'utf8') === 'hello',
    { what: 'hello.txt at the target' },
  );

  const second = await run(['-d', '-o', good]);
  assert.equal(second.code, 73);
  assert.match(second.stderr, new RegExp(`already running: pid ${pid}`));
  assert.equal(
    readFileSync(pidFile, 'utf8').trim(),
    String(pid),
    'the pid file still names the first one',
  );

  process.kill(pid, 'SIGTERM');
  await eventually(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    { what: 'the background process to exit' },
  );
  assert.equal(existsSync(pidFile), false, 'pid file removed');

  const log = readFileSync(logFile, 'utf8');
  assert.match(
    log,
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[(info|debug)\] /m,
    'timestamped log lines',
  );
  assert.ok(!log.includes(PASSWORD), 'the password file content never reaches the log (debug on)');
});

test('-d: a stale pid file is replaced', async () => {
  const pidFile = join(tmp.path, 'run', 'sersync.pid');
  const gone = spawn(process.execPath, ['-e', '']);
  const stalePid = gone.pid ?? 0;
  await new Promise((r) => gone.once('exit', r));
  writeFileSync(pidFile, `${stalePid}\n`);
  const r = await run(['-d', '-o', good]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
  started.push(pid);
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(pid));
  process.kill(pid, 'SIGTERM');
  await eventually(() => !existsSync(pidFile), { what: 'pid file removed at exit' });
});

test('-d: when the background process dies during start-up, the parent shows its log and its exit code', async () => {
  const blocker = join(tmp.path, 'a-file');
  writeFileSync(blocker, '');
  const conf = join(tmp.path, 'unwritable-pid.xml');
  writeFileSync(
    conf,
    readFileSync(good, 'utf8').replace(
      /pidFile="[^"]*"/,
      `pidFile="${join(blocker, 'sersync.pid')}"`,
    ),
  );
  const r = await run(['-d', '-o', conf]);
  assert.equal(r.code, 73, r.stdout + r.stderr);
  assert.match(r.stderr, /stopped during start-up/);
  assert.match(r.stderr, /cannot write .*a-file\/sersync\.pid/, 'the tail of the log is shown');
  noStack(r);
});
