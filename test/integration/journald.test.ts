// Under systemd the service's stdout/stderr is the journal stream named by JOURNAL_STREAM
// (DEVICE:INODE): every line then starts with its syslog priority and has no timestamp of its
// own. Here stdout and stderr are a file and JOURNAL_STREAM names that file, as systemd does.
// Also: sd_notify READY=1 / WATCHDOG=1 / STOPPING=1 reach $NOTIFY_SOCKET (a datagram socket that
// python3 binds; Node cannot).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { CLI, confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

function conf(dir: string, extra = ''): string {
  const watch = join(dir, 'data');
  mkdirSync(watch, { recursive: true });
  const file = join(dir, 'confxml.xml');
  const xml = confXml({
    roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: 1,
    failLog: join(dir, 'fail.sh'),
  });
  writeFileSync(file, xml.replace('</head>', `${extra}</head>`));
  return file;
}

async function runWithJournal(
  dir: string,
  args: string[],
  sameInode: boolean,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const out = join(dir, 'journal.txt');
  const fd = openSync(out, 'w');
  const st = fstatSync(fd);
  const journalStream = `${st.dev}:${sameInode ? st.ino : st.ino + 1}`;
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, ...env, JOURNAL_STREAM: journalStream },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    await eventually(() => /ready: watching/.test(readFileSync(out, 'utf8')), {
      timeoutMs: 15_000,
      what: 'the service to log that it is watching',
    });
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
  return readFileSync(out, 'utf8');
}

test('JOURNAL_STREAM names stdout/stderr: <N> priority prefixes, no timestamps', async (t) => {
  const tmp = tmpDir('sersync-journal-');
  t.after(tmp.cleanup);
  // A misspelt element: a config warning (stderr), then the logger's lines (stdout).
  const file = conf(tmp.path, '<bogusElement/>');
  // NOTIFY_SOCKET where nothing listens: the logger's warning (sd_notify fails) at priority 4.
  const text = await runWithJournal(tmp.path, ['-o', file], true, {
    NOTIFY_SOCKET: join(tmp.path, 'nobody.sock'),
  });
  const lines = text.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 3, text);
  for (const line of lines) {
    assert.match(line, /^<[3467]>/, `every line has a priority: ${line}`);
    assert.doesNotMatch(line, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, `no timestamp: ${line}`);
  }
  assert.ok(
    lines.some((l) => /^<4>sersync: .*bogusElement/.test(l)),
    `warning at 4:\n${text}`,
  );
  assert.ok(
    lines.some((l) => /^<6>\[info\] ready: watching /.test(l)),
    text,
  );
  assert.ok(
    lines.some((l) => /^<4>\[warn\] sd_notify READY=1 to .* failed/.test(l)),
    text,
  );
  assert.ok(
    lines.some((l) => / 1 directory\)$/.test(l)),
    `singular: ${text}`,
  );
  assert.ok(
    lines.some((l) => l.startsWith('<6>[info] SIGTERM: stopping')),
    text,
  );
});

test('JOURNAL_STREAM naming another file: lines stay as they are; --log-format json', async (t) => {
  const tmp = tmpDir('sersync-journal-');
  t.after(tmp.cleanup);
  const file = conf(tmp.path);
  const text = await runWithJournal(tmp.path, ['-o', file], false);
  assert.match(text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[info\] ready: watching /m);
  assert.doesNotMatch(text, /^<\d>/m);

  const json = await runWithJournal(tmp.path, ['--log-format', 'json', '-o', file], false);
  const records = json
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { time?: string; level?: string; message?: string });
  assert.ok(records.length > 0, json);
  const ready = records.find((r) => r.message?.startsWith('ready: watching '));
  assert.ok(ready, json);
  assert.equal(ready.level, 'info');
  assert.ok(!Number.isNaN(Date.parse(ready.time ?? '')), 'an ISO time');
});

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(repr(s.recv(4096).decode()), flush=True)
`;

test('sd_notify: READY=1 once watching, WATCHDOG=1 while running, STOPPING=1 at SIGTERM', async (t) => {
  if (spawnSync('python3', ['--version']).error) {
    t.skip('python3 not installed: no AF_UNIX datagram receiver for the test');
    return;
  }
  const tmp = tmpDir('sersync-notify-');
  t.after(tmp.cleanup);
  const sock = join(tmp.path, 'notify.sock');
  const rx = spawn('python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => rx.kill());
  let got = '';
  rx.stdout.on('data', (d: Buffer) => (got += d.toString()));
  await eventually(() => got.startsWith('bound'), { what: 'the receiver to bind' });

  const watch = join(tmp.path, 'data');
  mkdirSync(watch);
  const xml = confXml({
    roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: 1,
    failLog: join(tmp.path, 'fail.sh'),
  });
  const svc = await startService(tmp.path, xml, [], {
    NOTIFY_SOCKET: sock,
    WATCHDOG_USEC: '100000',
    WATCHDOG_PID: '',
  });
  await eventually(() => got.includes("'READY=1\\nSTATUS=watching'"), { what: 'READY=1' });
  await eventually(() => got.includes("'WATCHDOG=1'"), { what: 'a WATCHDOG=1 ping' });
  assert.equal(await svc.stop(), 0, svc.output());
  await eventually(() => got.includes("'STOPPING=1\\nSTATUS=stopping'"), { what: 'STOPPING=1' });
  assert.ok(got.indexOf('READY=1') < got.indexOf('STOPPING=1'), got);
});
