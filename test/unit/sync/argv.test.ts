// Golden argv arrays for every rsync command form (sync/argv.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeConfig } from './config-fixture.js';
import {
  batchArgv,
  choosesRemoteShell,
  fullSyncArgv,
  isRenameSafePath,
  literalPattern,
  NO_DELAY,
  pathListBytes,
  patternListBytes,
  prepareRemote,
  renameArgv,
  replayArgv,
} from '../../../src/sync/argv.js';

const ROOT = '/opt/tongbu';
const BATCH_TAIL = [
  '--from0',
  '--files-from=-',
  '--delete-missing-args',
  '--delete',
  '--out-format=%o %l %n',
];

test('defaults: daemon destination, delete on', () => {
  const p = prepareRemote(makeConfig(), ROOT, 0);
  assert.equal(p.destination, '127.0.0.1::tongbu1');
  assert.equal(p.killAfterMs, 0);
  assert.deepEqual(batchArgv(p, false), [
    '-artuz',
    '-R',
    ...BATCH_TAIL,
    NO_DELAY,
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
  assert.deepEqual(batchArgv(p, true), [
    '-artuz',
    '-R',
    '-r',
    ...BATCH_TAIL,
    NO_DELAY,
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
  assert.deepEqual(fullSyncArgv(p), [
    '-artuz',
    '-R',
    '-r',
    '--delete',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
});

test('second remote gets its own destination', () => {
  assert.equal(prepareRemote(makeConfig(), ROOT, 1).destination, '127.0.0.2::m2');
});

test('auth: user@ and --password-file (a path, never a password)', () => {
  const p = prepareRemote(
    makeConfig({ auth: { enabled: true, users: 'sersyncuser', passwordFile: '/etc/rsync.pas' } }),
    ROOT,
    0,
  );
  assert.deepEqual(batchArgv(p, false), [
    '-artuz',
    '-R',
    ...BATCH_TAIL,
    NO_DELAY,
    '--password-file=/etc/rsync.pas',
    '--',
    './',
    'sersyncuser@127.0.0.1::tongbu1',
  ]);
});

test('port and timeout; timeout also sets the worker kill cap (4x)', () => {
  const p = prepareRemote(
    makeConfig({
      userDefinedPort: { enabled: true, port: 18731 },
      timeout: { enabled: true, seconds: 100 },
    }),
    ROOT,
    0,
  );
  assert.deepEqual(batchArgv(p, false), [
    '-artuz',
    '-R',
    ...BATCH_TAIL,
    '--port=18731',
    NO_DELAY,
    '--timeout=100',
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
  assert.equal(p.killAfterMs, 1_000_000);
});

test('ssh: -e ssh and ip:path; userDefinedPort ignored (it is for daemons); no --password-file', () => {
  const plain = prepareRemote(makeConfig({ ssh: { enabled: true } }), ROOT, 0);
  assert.deepEqual(batchArgv(plain, false), [
    '-artuz',
    '-R',
    ...BATCH_TAIL,
    '-e',
    'ssh',
    '--',
    './',
    '127.0.0.1:tongbu1',
  ]);
  const all = prepareRemote(
    makeConfig({
      ssh: { enabled: true },
      userDefinedPort: { enabled: true, port: 2222 },
      timeout: { enabled: true, seconds: 7 },
      auth: { enabled: true, users: 'bob', passwordFile: '/etc/rsync.pas' },
    }),
    ROOT,
    0,
  );
  assert.deepEqual(fullSyncArgv(all), [
    '-artuz',
    '-R',
    '-r',
    '--delete',
    '--out-format=%o %l %n',
    '-e',
    'ssh',
    '--timeout=7',
    '--',
    './',
    'bob@127.0.0.1:tongbu1',
  ]);
});

test('ssh: a remote shell chosen in commonParams (the ssh port) is used, no -e ssh after it', () => {
  const withPort = prepareRemote(
    makeConfig({
      ssh: { enabled: true },
      userDefinedPort: { enabled: true, port: 874 },
      commonParams: ['-artuz', '-e', 'ssh -p 2222'],
    }),
    ROOT,
    0,
  );
  assert.deepEqual(batchArgv(withPort, false), [
    '-artuz',
    '-e',
    'ssh -p 2222',
    '-R',
    ...BATCH_TAIL,
    '--',
    './',
    '127.0.0.1:tongbu1',
  ]);
  const daemon = prepareRemote(
    makeConfig({ userDefinedPort: { enabled: true, port: 874 }, commonParams: ['-az'] }),
    ROOT,
    0,
  );
  assert.deepEqual(daemon.transport, ['--port=874', NO_DELAY], 'daemon targets keep --port');
});

test('choosesRemoteShell: every way rsync options can set the remote shell', () => {
  const table: [string[], boolean][] = [
    [['-artuz'], false],
    [['-artuz', '-e', 'ssh -p 2222'], true],
    [['-e', 'ssh'], true],
    [['-essh -p 2'], true],
    [['-avze', 'ssh -p 2'], true],
    [['--rsh=ssh -p 2'], true],
    [['--rsh', 'ssh'], true],
    [['-B1024e'], false],
    [['--exclude=-e'], false],
    [['--', '-e'], false],
    [['-f', '- -e'], false],
    [['--delete', '--exclude', '*.e'], false],
  ];
  for (const [words, want] of table)
    assert.equal(choosesRemoteShell(words), want, JSON.stringify(words));
});

test('delete off: missing paths are ignored, full sync has no --delete', () => {
  const p = prepareRemote(makeConfig({}, false), ROOT, 0);
  assert.deepEqual(batchArgv(p, true), [
    '-artuz',
    '-R',
    '-r',
    '--from0',
    '--files-from=-',
    '--ignore-missing-args',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
  assert.deepEqual(fullSyncArgv(p), [
    '-artuz',
    '-R',
    '-r',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
});

test('crontab excludes become --exclude=GLOB words (no shell quoting needed)', () => {
  const p = prepareRemote(makeConfig(), ROOT, 0);
  assert.deepEqual(fullSyncArgv(p, { crontabExcludes: ['*.php', 'info/*'] }), [
    '-artuz',
    '-R',
    '-r',
    '--delete',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--exclude=*.php',
    '--exclude=info/*',
    '--',
    './',
    '127.0.0.1::tongbu1',
  ]);
});

test('commonParams words are passed as given', () => {
  const p = prepareRemote(makeConfig({ commonParams: ['-az', '--chmod=D755'] }), ROOT, 0);
  assert.deepEqual(batchArgv(p, false).slice(0, 3), ['-az', '--chmod=D755', '-R']);
});

test('replay argv: paths as ./ arguments after --', () => {
  const p = prepareRemote(makeConfig(), ROOT, 0);
  assert.deepEqual(replayArgv(p, ['-lead', 'a b']), [
    '-artuz',
    '-R',
    '-r',
    '--delete-missing-args',
    '--delete',
    NO_DELAY,
    '--',
    './-lead',
    './a b',
    '127.0.0.1::tongbu1',
  ]);
});

test('unknown root or remote index is a bug (throws)', () => {
  assert.throws(() => prepareRemote(makeConfig(), '/nope', 0), /Internal error/);
  assert.throws(() => prepareRemote(makeConfig(), ROOT, 5), /Internal error/);
});

test('path list: every path ./-prefixed (no #/; comments) and NUL-terminated, bytes untouched', () => {
  assert.equal(
    pathListBytes(['a b', 'nl\nx', '-x', '#h', ';s']),
    './a b\0./nl\nx\0./-x\0./#h\0./;s\0',
  );
  assert.equal(pathListBytes([]), '');
  assert.equal(patternListBytes(['/a', '/#b']), '/a\0/#b\0');
});

test('literal rsync patterns: anchored; *?[\\ escaped only when a wildcard is present', () => {
  const cases: [string, string][] = [
    ['a/b.txt', '/a/b.txt'],
    ['a\\b', '/a\\b'],
    ['st*r', '/st\\*r'],
    ['w[1].txt', '/w\\[1].txt'],
    ['q?\\x', '/q\\?\\\\x'],
    ['tr ', '/tr '],
  ];
  for (const [input, want] of cases) assert.equal(literalPattern(input), want, input);
});

test('rename: the new directory itself is the destination, the old one the basis relative to it', () => {
  const p = prepareRemote(makeConfig(), ROOT, 0);
  assert.deepEqual(renameArgv(p, 'a/old', 'a/new', 'link'), [
    '-artuz',
    '-r',
    '--delete',
    '--link-dest=../old',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './a/new/',
    '127.0.0.1::tongbu1/a/new/',
  ]);
  assert.deepEqual(renameArgv(p, 'x/y/old', 'new', 'copy'), [
    '-artuz',
    '-r',
    '--delete',
    '--copy-dest=../x/y/old',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './new/',
    '127.0.0.1::tongbu1/new/',
  ]);
  assert.deepEqual(renameArgv(p, 'old', 'a/b/new'), [
    '-artuz',
    '-r',
    '--delete',
    '--copy-dest=../../../old',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './a/b/new/',
    '127.0.0.1::tongbu1/a/b/new/',
  ]);
});

test('rename: no --delete with delete off; ssh and auth transport as for batches', () => {
  const off = prepareRemote(makeConfig({}, false), ROOT, 0);
  assert.deepEqual(renameArgv(off, 'old', 'new', 'copy'), [
    '-artuz',
    '-r',
    '--copy-dest=../old',
    '--out-format=%o %l %n',
    NO_DELAY,
    '--',
    './new/',
    '127.0.0.1::tongbu1/new/',
  ]);
  const ssh = prepareRemote(
    makeConfig({
      ssh: { enabled: true },
      auth: { enabled: true, users: 'bob', passwordFile: '/p' },
    }),
    ROOT,
    0,
  );
  assert.deepEqual(renameArgv(ssh, 'd/old', 'd/new', 'link'), [
    '-artuz',
    '-r',
    '--delete',
    '--link-dest=../old',
    '--out-format=%o %l %n',
    '-e',
    'ssh',
    '--',
    './d/new/',
    'bob@127.0.0.1:tongbu1/d/new/',
  ]);
});

test('rename-safe paths: plain and non-ASCII names only', () => {
  for (const ok of ['a', 'a/b-c_d.e', '中文/目录', 'v1.2+x@y,z%=~'])
    assert.equal(isRenameSafePath(ok), true, ok);
  for (const bad of [
    '',
    '/a',
    'a/',
    'a//b',
    '.',
    'a/..',
    'with space',
    "it's",
    'a*b',
    'q?',
    '[x]',
    'x$y',
    'x;y',
    'tab\tx',
    'nl\nx',
    'b\\s',
    'a"b',
  ])
    assert.equal(isRenameSafePath(bad), false, JSON.stringify(bad));
});
