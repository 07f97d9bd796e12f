// Exit policy: every rsync code 0-35 and 255, plus signal, spawn error and timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classify,
  describeOutcome,
  failedPathOf,
  waitStatus,
  type Verdict,
} from '../../../src/sync/exit-policy.js';

const EXPECTED: Record<number, Verdict> = {
  0: 'ok',
  1: 'fatal',
  2: 'fatal',
  3: 'retry',
  4: 'fatal',
  5: 'retry',
  6: 'retry',
  10: 'retry',
  11: 'retry',
  12: 'retry',
  13: 'retry',
  14: 'retry',
  20: 'retry',
  21: 'retry',
  22: 'retry',
  23: 'partial',
  24: 'partial',
  25: 'fatal',
  30: 'retry',
  35: 'retry',
  255: 'retry',
};

test('every exit code 0..35 and 255 has a verdict; undocumented codes retry', () => {
  for (const code of [...Array.from({ length: 36 }, (_, i) => i), 255]) {
    const c = classify({ kind: 'exited', code });
    const want = EXPECTED[code] ?? 'retry';
    assert.equal(c.verdict, want, `code ${code}`);
    if (EXPECTED[code] === undefined) assert.match(c.meaning, /unknown exit code/);
    else assert.doesNotMatch(c.meaning, /unknown/);
  }
});

test('23 and 24 are not silent successes', () => {
  assert.equal(classify({ kind: 'exited', code: 23 }).verdict, 'partial');
  assert.equal(classify({ kind: 'exited', code: 24 }).verdict, 'partial');
});

test('signal, timeout and spawn errors', () => {
  assert.equal(classify({ kind: 'signaled', signal: 'SIGKILL' }).verdict, 'retry');
  assert.equal(classify({ kind: 'timed-out' }).verdict, 'retry');
  assert.equal(
    classify({ kind: 'spawn-error', message: 'ENOENT: spawn rsync ENOENT' }).verdict,
    'fatal',
  );
  assert.equal(
    classify({ kind: 'spawn-error', message: 'EACCES: spawn rsync EACCES' }).verdict,
    'fatal',
  );
  assert.equal(
    classify({ kind: 'spawn-error', message: 'EAGAIN: spawn rsync EAGAIN' }).verdict,
    'retry',
  );
});

test('wait status as the original wrote it after #errno', () => {
  assert.equal(waitStatus({ kind: 'exited', code: 10 }), 2560);
  assert.equal(waitStatus({ kind: 'exited', code: 5 }), 1280);
  assert.equal(waitStatus({ kind: 'exited', code: 23 }), 5888);
  assert.equal(waitStatus({ kind: 'signaled', signal: 'SIGKILL' }), 9);
  assert.equal(waitStatus({ kind: 'spawn-error', message: 'ENOENT: x' }), 32512);
  assert.equal(waitStatus({ kind: 'spawn-error', message: 'EAGAIN: x' }), -1);
  assert.equal(waitStatus({ kind: 'timed-out' }), 7680);
});

test('outcome descriptions for log lines', () => {
  assert.equal(describeOutcome({ kind: 'exited', code: 0 }), 'exit 0');
  assert.equal(describeOutcome({ kind: 'signaled', signal: 'SIGTERM' }), 'signal SIGTERM');
  assert.equal(describeOutcome({ kind: 'timed-out' }), 'timed out');
});

test('failed paths named by rsync error lines, relative to the root', () => {
  const cwd = '/opt/tongbu';
  const cases: [string, string | undefined][] = [
    [
      'rsync: [sender] link_stat "/opt/tongbu/bt.txt" failed: No such file or directory (2)',
      'bt.txt',
    ],
    [
      'rsync: [sender] send_files failed to open "/opt/tongbu/a/q"uo": Permission denied (13)',
      'a/q"uo',
    ],
    ['file has vanished: "/opt/tongbu/d/x"', 'd/x'],
    ['could not make way for new regular file: d/keep', 'd/keep'],
    ['cannot delete non-empty directory: x', 'x'],
    ['rsync: [sender] link_stat "/opt/tongbu/nl\\#012name" failed: No such file', 'nl\nname'],
    [
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23)',
      undefined,
    ],
    ['@ERROR: auth failed on module tongbu1', undefined],
    ['rsync: connection unexpectedly closed (0 bytes received so far) [sender]', undefined],
  ];
  for (const [line, want] of cases) assert.equal(failedPathOf(line, cwd), want, line);
});
