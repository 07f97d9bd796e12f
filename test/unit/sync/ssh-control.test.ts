// The shared connection's words (sync/ssh-control.ts) and which runs get them (sync/ssh-master.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConfig } from './config-fixture.js';
import { batchArgv, prepareRemote, replayArgv } from '../../../src/sync/argv.js';
import {
  controlPathOption,
  controlPathProblem,
  controlRsh,
  controlSocketName,
  MAX_CONTROL_PATH_BYTES,
  rsyncShellWord,
  splitRsh,
  sshHostOf,
  withRsh,
} from '../../../src/sync/ssh-control.js';
import { createSshMasters } from '../../../src/sync/ssh-master.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { tmpDir } from '../../helpers/tmp.js';

test('rsync -e words: plain words as they are, others single-quoted with doubled quotes', () => {
  const cases: [string, string][] = [
    ['ssh', 'ssh'],
    ['-oControlMaster=auto', '-oControlMaster=auto'],
    ['-oControlPath="/a b/c"', `'-oControlPath="/a b/c"'`],
    [`it's`, `'it''s'`],
    ['', `''`],
  ];
  for (const [word, quoted] of cases) assert.equal(rsyncShellWord(word), quoted, word);
  const words = ['ssh', `-oControlPath="/tmp/it's a ""dir""/x"`, '-oX=1', `''`];
  assert.deepEqual(splitRsh(words.map(rsyncShellWord).join(' ')), words);
});

test('ControlPath for ssh: double-quoted, \\ and " escaped, % doubled', () => {
  assert.equal(controlPathOption('/var/lib/s/ssh/ab'), '-oControlPath="/var/lib/s/ssh/ab"');
  assert.equal(controlPathOption('/a b/"q"\\%h'), '-oControlPath="/a b/\\"q\\"\\\\%%h"');
});

test('the -e command: ssh with ControlMaster=auto, the path, ControlPersist, keep-alives', () => {
  assert.deepEqual(splitRsh(controlRsh('/s/a b/1', 600)), [
    'ssh',
    '-oControlMaster=auto',
    '-oControlPath="/s/a b/1"',
    '-oControlPersist=600',
    '-oServerAliveInterval=30',
  ]);
});

test('control path limits: 90 bytes (ssh binds PATH.<16 chars> in 108), no raw bytes, no ${', () => {
  const ok = `/${'a'.repeat(MAX_CONTROL_PATH_BYTES - 1)}`;
  assert.equal(controlPathProblem(ok), undefined);
  assert.match(controlPathProblem(`${ok}b`) ?? '', /91 bytes long, more than the 90/);
  assert.match(controlPathProblem('/x/\udcfc') ?? '', /not valid UTF-8/);
  assert.match(controlPathProblem('/x/${HOME}') ?? '', /expands/);
  assert.equal(controlSocketName('root@host').length, 12);
  assert.notEqual(controlSocketName('a@h'), controlSocketName('b@h'));
});

test('ssh login of a destination; -e ssh replaced, anything else kept', () => {
  assert.equal(sshHostOf('bob@10.0.0.1:/data/x', '/data/x'), 'bob@10.0.0.1');
  assert.equal(sshHostOf('h:a:b', 'a:b'), 'h');
  assert.deepEqual(withRsh(['-e', 'ssh', '--timeout=7'], 'R'), ['-e', 'R', '--timeout=7']);
  const own = ['--timeout=7'];
  assert.equal(withRsh(own, 'R'), own);
});

const sshConfig = (stateDir: string, commonParams = ['-artuz']) => {
  const c = makeConfig({ ssh: { enabled: true }, commonParams });
  return { ...c, sersync: { ...c.sersync, failLog: { ...c.sersync.failLog, stateDir } } };
};

test('forRun: runs get the control options, the replay keeps plain -e ssh; dir 0700, lazily', () => {
  const tmp = tmpDir('sersync-sshm-');
  try {
    const stateDir = join(tmp.path, 'state');
    const config = sshConfig(stateDir);
    const masters = createSshMasters({ config, logger: memoryLogger(), runtimeDir: undefined });
    const p = prepareRemote(config, '/opt/tongbu', 0);
    assert.equal(statSync(stateDir, { throwIfNoEntry: false }), undefined, 'nothing made yet');
    const run = masters.forRun(p);
    const socket = join(stateDir, 'ssh', controlSocketName('127.0.0.1'));
    assert.equal(masters.socketOf('127.0.0.1'), socket);
    assert.equal(statSync(join(stateDir, 'ssh')).mode & 0o777, 0o700);
    const argv = batchArgv(run, false);
    const e = argv[argv.indexOf('-e') + 1] ?? '';
    assert.deepEqual(splitRsh(e).slice(0, 3), [
      'ssh',
      '-oControlMaster=auto',
      `-oControlPath="${socket}"`,
    ]);
    assert.ok(replayArgv(p, ['x']).includes('ssh'), 'the fail log replays with plain ssh');
    assert.equal(masters.forRun(p), run, 'computed once per target');
  } finally {
    tmp.cleanup();
  }
});

test('forRun: not used with a -e of the user, nor when the directory is unusable', () => {
  const tmp = tmpDir('sersync-sshm-');
  try {
    const own = sshConfig(join(tmp.path, 's1'), ['-artuz', '-e', 'ssh -p 2222']);
    const p = prepareRemote(own, '/opt/tongbu', 0);
    const log1 = memoryLogger();
    assert.equal(createSshMasters({ config: own, logger: log1 }).forRun(p), p);
    // A file where the socket directory goes: plain -e ssh, one warning.
    const stateDir = join(tmp.path, 's2');
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, 'ssh'), 'not a dir');
    const config = sshConfig(stateDir);
    const log2 = memoryLogger();
    const masters = createSshMasters({ config, logger: log2, runtimeDir: undefined });
    const q = prepareRemote(config, '/opt/tongbu', 0);
    assert.equal(masters.forRun(q), q);
    assert.equal(masters.forRun(prepareRemote(config, '/opt/tongbu', 1)).transport[1], 'ssh');
    assert.equal(log2.lines.filter((l) => l.includes('no shared connection')).length, 1);
  } finally {
    tmp.cleanup();
  }
});

test('forRun: a state directory too long for a socket falls back to $XDG_RUNTIME_DIR', () => {
  const tmp = tmpDir('sersync-sshm-');
  try {
    const stateDir = join(tmp.path, 'x'.repeat(80));
    const runtimeDir = join(tmp.path, 'run');
    mkdirSync(runtimeDir, { mode: 0o700 });
    const config = sshConfig(stateDir);
    const masters = createSshMasters({ config, logger: memoryLogger(), runtimeDir });
    masters.forRun(prepareRemote(config, '/opt/tongbu', 0));
    const socket = masters.socketOf('127.0.0.1') ?? '';
    assert.ok(socket.startsWith(`${runtimeDir}/sersync-`), socket);
    const log = memoryLogger();
    const none = createSshMasters({ config, logger: log, runtimeDir: undefined });
    none.forRun(prepareRemote(config, '/opt/tongbu', 0));
    assert.match(log.lines.join('\n'), /more than the 90 ssh can use/);
  } finally {
    tmp.cleanup();
  }
});
