// Log reopening for logrotate: logger.reopen() after the file was renamed writes new lines to a
// fresh file at the original path; `sersync -d` does it on SIGUSR1 (logrotate's postrotate), and
// a foreground sersync survives SIGUSR1 without opening Node's inspector.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('sersync-log-reopen-');
let rsyncd: Rsyncd;
const started: number[] = [];
const src = join(tmp.path, 'src');
const dst = join(tmp.path, 'dst');

before(async () => {
  mkdirSync(src);
  mkdirSync(dst);
  rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
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

const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('reopen() after a rename: old lines stay in the renamed file, new lines go to a fresh file at the path', async () => {
  const dir = join(tmp.path, 'unit');
  const file = join(dir, 'logs', 'sersync.log');
  const log = createLogger({ level: 'info', file, secrets: ['hunter2'] });
  log.info('before rotation');
  assert.equal(statSync(file).mode & 0o777, 0o640, 'created rw-r-----');
  renameSync(file, `${file}.1`);
  log.info('written after the rename, before the reopen');
  assert.equal(log.reopen(), true);
  assert.ok(existsSync(file), 'a fresh file is created at once');
  log.info('after rotation, password hunter2');
  await log.close();
  const old = read(`${file}.1`);
  const fresh = read(file);
  assert.match(old, /\[info\] before rotation\n/);
  assert.match(old, /\[info\] written after the rename, before the reopen\n/);
  assert.doesNotMatch(old, /after rotation/);
  assert.match(
    fresh,
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[info\] after rotation, password \*\*\*\n$/,
  );
  assert.equal(log.reopen(), false, 'closed: nothing to reopen');
});

test('reopen() when the path cannot be opened keeps writing to the old file and says why', async () => {
  const dir = join(tmp.path, 'gone');
  const file = join(dir, 'sersync.log');
  const log = createLogger({ level: 'info', file, secrets: [] });
  log.info('one');
  renameSync(dir, `${dir}.moved`);
  writeFileSync(dir, 'a file where the log directory was');
  assert.equal(log.reopen(), false);
  log.info('two');
  await log.close();
  const kept = read(join(`${dir}.moved`, 'sersync.log'));
  assert.match(
    kept,
    /\[info\] one\n.*\[warn\] cannot reopen the log file .*sersync\.log: .*; still writing to the previous file\n.*\[info\] two\n$/s,
  );
  rmSync(dir);
});

test('a stream logger (stdout) has nothing to reopen', () => {
  const log = createLogger({ level: 'info', secrets: [], stream: process.stdout });
  assert.equal(log.reopen(), false);
});

/** Runs the CLI to completion (the -d parent exits once the background process is ready). */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      cwd: tmp.path,
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

test('sersync -d: after logrotate renames the log, SIGUSR1 makes it write to a new file at the path', async () => {
  const logFile = join(tmp.path, 'd', 'log', 'sersync.log');
  const conf = join(tmp.path, 'd', 'confxml.xml');
  mkdirSync(join(tmp.path, 'd'));
  writeFileSync(
    conf,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'd', 'fail.sh'),
      extraDaemonAttrs: `pidFile="${join(tmp.path, 'd', 'sersync.pid')}" logFile="${logFile}"`,
    }),
  );
  const r = await run(['-d', '-o', conf]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
  started.push(pid);
  await eventually(() => /watching /.test(read(logFile)), { what: '"watching" in the log' });

  renameSync(logFile, `${logFile}.1`); // what logrotate does (without copytruncate)
  process.kill(pid, 'SIGUSR1'); // its postrotate
  await eventually(() => /\[info\] SIGUSR1: reopened the log file /.test(read(logFile)), {
    what: 'the reopen line in a new log file',
  });

  writeFileSync(join(src, 'after-rotation.txt'), 'x');
  await eventually(() => /rsync -> 127\.0\.0\.1::mod: 1 path, exit 0/.test(read(logFile)), {
    what: 'the rsync line in the new log file',
  });
  process.kill(pid, 'SIGTERM');
  await eventually(() => !alive(pid), { what: 'the background process to exit' });

  const rotated = read(`${logFile}.1`);
  const fresh = read(logFile);
  assert.match(rotated, /watching /);
  assert.doesNotMatch(
    rotated,
    /rsync -> |SIGUSR1/,
    'nothing after the rotation went to the old file',
  );
  assert.match(fresh, /\[info\] stopped/);
  assert.doesNotMatch(fresh, /watching /);
});

test('foreground: SIGUSR1 neither stops sersync nor opens the Node inspector', async () => {
  const dir = join(tmp.path, 'fg');
  mkdirSync(dir);
  const svc = await startService(
    dir,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(dir, 'fail.sh'),
      debug: true,
    }),
  );
  svc.proc.kill('SIGUSR1');
  await eventually(() => svc.output().includes('SIGUSR1: logging to stdout, nothing to reopen'), {
    what: 'the SIGUSR1 debug line',
  });
  assert.equal(await svc.stop(), 0);
  assert.doesNotMatch(svc.output(), /Debugger listening/);
});
