// The upgrade from the old default state directory (<dir of the fail log>/sersync-state): when
// to look at it, and when it is trusted enough to import from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  judgeOldDir,
  legacyCandidate,
  legacyStateDir,
  type OldDirStat,
} from '../../../src/state/legacy.js';

const NEW = '/var/lib/sersync/etc-sersync-confxml-1a2b3c4d';
const base = {
  stateDir: NEW,
  defaultStateDir: NEW,
  failLogPath: '/tmp/rsync_fail_log.sh',
  fresh: true,
};

test('the old default is the fail log directory plus sersync-state', () => {
  assert.equal(legacyStateDir('/tmp/rsync_fail_log.sh'), '/tmp/sersync-state');
  assert.equal(legacyStateDir('/var/log/s/fail.sh'), '/var/log/s/sersync-state');
});

test('looked at only for a fresh default state directory that differs from the old one', () => {
  const table: [string, Partial<typeof base>, string | undefined][] = [
    ['fresh default', {}, '/tmp/sersync-state'],
    ['the new dir already has a journal or marker', { fresh: false }, undefined],
    ['an explicit <failLog stateDir>', { stateDir: '/srv/state' }, undefined],
    [
      'an explicit stateDir equal to the old default',
      { stateDir: '/tmp/sersync-state', defaultStateDir: '/tmp/sersync-state' },
      undefined,
    ],
  ];
  for (const [what, over, want] of table)
    assert.equal(legacyCandidate({ ...base, ...over }), want, what);
});

test('imported only from a real directory of ours with mode 0700; anything planted is ignored with a reason', () => {
  const dir = (uid: number, mode: number): OldDirStat => ({
    kind: 'dir',
    uid,
    mode: 0o40000 | mode,
  });
  const table: [string, OldDirStat, number, string][] = [
    ['absent', { kind: 'absent' }, 0, 'none'],
    ['ours, 0700', dir(0, 0o700), 0, 'import'],
    ['ours (non-root), 0700', dir(1000, 0o700), 1000, 'import'],
    ['ours, 0700 + setgid (inherited)', dir(0, 0o2700), 0, 'import'],
    ['a symbolic link', { kind: 'link' }, 0, 'ignore:symbolic link'],
    ['a file', { kind: 'not-dir' }, 0, 'ignore:not a directory'],
    ['owned by nobody', dir(65534, 0o700), 0, 'ignore:owned by uid 65534'],
    ['root-owned seen by a user', dir(0, 0o700), 1000, 'ignore:owned by uid 0'],
    ['group-writable', dir(0, 0o770), 0, 'ignore:writable by other users (mode 770)'],
    ['world-writable sticky', dir(0, 0o1777), 0, 'ignore:writable by other users (mode 1777)'],
    ['readable by others', dir(0, 0o755), 0, 'ignore:not 700'],
    ['unreadable', { kind: 'unreadable', why: 'it cannot be opened: EACCES' }, 0, 'ignore:EACCES'],
  ];
  for (const [what, st, euid, want] of table) {
    const v = judgeOldDir(st, euid);
    const [action, why] = want.split(':');
    assert.equal(v.action, action, what);
    if (why !== undefined) {
      assert.ok(v.action === 'ignore' && v.why.includes(why), `${what}: ${JSON.stringify(v)}`);
    }
  }
});
