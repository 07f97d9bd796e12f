// Permanent causes read from rsync's stderr: the table (real rsync 3.5 / OpenSSH lines -> cause ->
// hint), the error line a run carries, and the runner logging a cause once per streak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causeOf, errorLinePicker, type CauseKind } from '../../../src/sync/rsync-cause.js';
import { outputTally } from '../../../src/sync/rsync-output.js';
import type { RunResult } from '../../../src/sync/protocol.js';
import type { PathBatch } from '../../../src/queue/types.js';
import { makeConfig } from './config-fixture.js';
import { scriptedRunner } from './scripted-runner.js';

/** Lines as rsync 3.5.0 and OpenSSH print them (captured from real runs), the cause, a word of the hint. */
const TABLE: readonly [line: string, cause: CauseKind | undefined, hintWord: string][] = [
  ['@ERROR: auth failed on module mod', 'auth-failed', 'secrets file'],
  ["@ERROR: Unknown module 'nosuch'", 'unknown-module', '<remote name>'],
  ['@ERROR: access denied to deny from UNDETERMINED (127.0.0.1)', 'host-refused', 'hosts allow'],
  ['ERROR: module is read only', 'read-only', 'read only = no'],
  ['@ERROR: chroot failed', 'chroot-failed', 'use chroot'],
  [
    'rsync: [receiver] mkstemp ".a.LegMak" (in nob) failed: Permission denied (13)',
    'module-permission',
    'uid',
  ],
  [
    'rsync: [generator] recv_generator: mkdir "/dst/d" failed: Permission denied (13)',
    'module-permission',
    'uid',
  ],
  ['rsync: mkstemp "a/.b.XyZ" (in mod) failed: Permission denied (13)', 'module-permission', 'gid'],
  ['ERROR: password file must not be other-accessible', 'password-file', 'chmod 600'],
  ['ERROR: password file must be owned by root when running as root', 'password-file', 'root'],
  [
    'rsync: [sender] could not open password file /etc/pw: No such file or directory (2)',
    'password-file',
    '--check',
  ],
  ['u@127.0.0.1: Permission denied (publickey).', 'ssh-auth', 'authorized_keys'],
  ['u@127.0.0.1: Permission denied (publickey,password).', 'ssh-auth', 'authorized_keys'],
  ['Host key verification failed.', 'ssh-host-key', 'known_hosts'],
  // Not permanent (a blip, or a local per-file problem the retry of the path handles).
  [
    'rsync: [sender] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)',
    undefined,
    '',
  ],
  ['@ERROR: max connections (1) reached -- try again later', undefined, ''],
  ['rsync: [sender] send_files failed to open "/src/a": Permission denied (13)', undefined, ''],
  ['rsync: connection unexpectedly closed (0 bytes received so far) [sender]', undefined, ''],
];

test('each stderr line maps to its permanent cause, whose hint says what to check', () => {
  for (const [line, kind, word] of TABLE) {
    const c = causeOf(line);
    assert.equal(c?.kind, kind, line);
    if (c !== undefined) assert.ok(c.hint.includes(word), `${kind}: ${c.hint}`);
  }
  assert.equal(causeOf(undefined), undefined);
});

test("a run's error line: a known cause's line, else the first meaningful one", () => {
  const pick = (lines: string[]): string | undefined => {
    const p = errorLinePicker();
    lines.forEach((l) => {
      p.push(l);
    });
    return p.line();
  };
  const summary = 'rsync error: error in socket IO (code 10) at clientserver.c(165) [sender=3.5.0]';
  const refused =
    'rsync: [sender] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)';
  assert.equal(pick([refused, summary]), refused);
  assert.equal(pick(['', summary]), undefined);
  // The cause wins over an earlier line; the bare prompt rsync prints without a password file goes.
  assert.equal(
    pick([
      'rsync: [sender] read error: Connection reset by peer (104)',
      'ERROR: module is read only',
    ]),
    'ERROR: module is read only',
  );
  // OpenSSH over rsync -e ssh (real output: CRLF, a notice first).
  assert.equal(
    pick([
      "Warning: Permanently added '[127.0.0.1]:35393' (ED25519) to the list of known hosts.\r",
      'root@127.0.0.1: Permission denied (publickey).\r',
      'rsync: connection unexpectedly closed (0 bytes received so far) [sender]',
      'rsync error: unexplained error (code 255) at io.c(285) [sender=3.5.0]',
    ]),
    'root@127.0.0.1: Permission denied (publickey).',
  );
  assert.equal(
    pick([
      "Warning: Permanently added '[127.0.0.1]:35393' (ED25519) to the list of known hosts.\r",
      'rsync: connection unexpectedly closed (0 bytes received so far) [sender]',
    ]),
    'rsync: connection unexpectedly closed (0 bytes received so far) [sender]',
  );
  assert.equal(
    pick(['Password: @ERROR: auth failed on module mod', summary]),
    '@ERROR: auth failed on module mod',
  );
  // Only stderr counts; the whole of it (not a tail).
  const t = outputTally('/src');
  t.stdout('send 1 a.txt');
  for (let i = 0; i < 5000; i++)
    t.stderr(`rsync: [sender] link_stat "/src/x${i}" failed: No such file or directory (2)`);
  assert.equal(
    t.errorLine(),
    'rsync: [sender] link_stat "/src/x0" failed: No such file or directory (2)',
  );
});

const batch: PathBatch = {
  kind: 'paths',
  target: { key: '/opt/tongbu\u00000', root: '/opt/tongbu', remoteIndex: 0 },
  entries: [{ path: 'a.txt', op: 'upsert', isDir: false, attempts: 0 }],
};

const scripted = (results: Partial<RunResult>[]) =>
  scriptedRunner(
    results,
    makeConfig({ auth: { enabled: true, users: 'u', passwordFile: '/etc/pw' } }),
  );

const AUTH = '@ERROR: auth failed on module tongbu1';
const authRun: Partial<RunResult> = {
  outcome: { kind: 'exited', code: 5 },
  stderrTail: `${AUTH}\nrsync error: error starting client-server protocol (code 5) at main.c(1954) [sender=3.5.0]\n`,
  errorLine: AUTH,
};

test('a permanent cause: one error line with the hint per streak, the retries quiet, the outcome carries the line', async () => {
  const module = "@ERROR: Unknown module 'tongbu1'";
  const { runner, logger } = scripted([
    authRun,
    authRun,
    authRun,
    { outcome: { kind: 'exited', code: 5 }, stderrTail: `${module}\n`, errorLine: module },
    {},
    authRun,
  ]);
  const first = await runner(batch);
  assert.ok(first.kind === 'failed');
  assert.equal(first.errorLine, AUTH);
  await runner(batch);
  await runner(batch);
  const errors = (): string[] => logger.lines.filter((l) => l.startsWith('[error]'));
  assert.equal(errors().length, 1, logger.lines.join('\n'));
  assert.match(
    errors()[0] ?? '',
    /^\[error\] rsync -> u@127\.0\.0\.1::tongbu1: @ERROR: auth failed on module tongbu1 \(auth-failed: .*secrets file.*\); retried with back-off/,
  );
  // The stderr line is a warning the first time, debug on the retries; each run keeps its line.
  const stderr = logger.lines.filter((l) =>
    l.includes(`rsync stderr (u@127.0.0.1::tongbu1): ${AUTH}`),
  );
  assert.deepEqual(
    stderr.map((l) => l.slice(0, 7)),
    ['[warn] ', '[debug]', '[debug]'],
  );
  assert.equal(logger.lines.filter((l) => /^\[warn\] rsync -> .*exit 5/.test(l)).length, 3);
  // Another cause is a new streak; a run that reaches the target clears it; then it is new again.
  await runner(batch);
  await runner(batch);
  await runner(batch);
  assert.equal(errors().length, 3, logger.lines.join('\n'));
  assert.match(errors()[1] ?? '', /Unknown module 'tongbu1' \(unknown-module: /);
  // A fatal exit (1: a password file rsync refuses) is an error run line the first time only.
  const refused = 'ERROR: password file must not be other-accessible';
  const fatal: Partial<RunResult> = {
    outcome: { kind: 'exited', code: 1 },
    stderrTail: `${refused}\n`,
    errorLine: refused,
  };
  const f = scripted([fatal, fatal, fatal]);
  for (let i = 0; i < 3; i++) await f.runner(batch);
  assert.deepEqual(
    f.logger.lines.filter((l) => /exit 1,|password-file: /.test(l)).map((l) => l.slice(0, 7)),
    ['[error]', '[error]', '[warn] ', '[warn] '],
    f.logger.lines.join('\n'),
  );
  assert.ok(
    logger.lines.includes(
      '[info] rsync -> u@127.0.0.1::tongbu1: runs reach the target again (unknown-module cleared)',
    ),
    logger.lines.join('\n'),
  );
});
