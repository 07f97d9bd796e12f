// parseRsyncVersion / judgeRsyncVersion: the version banner and the >= 3.1 rule. Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeRsyncVersion, parseRsyncVersion } from '../../src/rsync-check.js';

test('parses the banners of rsync 3.0 to 3.4', () => {
  const cases: [string, string, number, number, number][] = [
    ['rsync  version 3.5.0  protocol version 32\nCopyright (C) 1996-2025', '3.5.0', 3, 5, 0],
    ['rsync  version v3.2.7  protocol version 31\n', '3.2.7', 3, 2, 7],
    ['rsync  version 3.1.0pre1  protocol version 31', '3.1.0pre1', 3, 1, 0],
    ['rsync  version 3.0.9  protocol version 30', '3.0.9', 3, 0, 9],
  ];
  for (const [banner, text, major, minor, patch] of cases) {
    assert.deepEqual(parseRsyncVersion(banner), { text, major, minor, patch }, banner);
  }
  assert.equal(parseRsyncVersion('openrsync: protocol version 29'), undefined);
  assert.equal(parseRsyncVersion(''), undefined);
});

test('3.1 and newer are accepted; older is too-old and says how to install', () => {
  for (const v of ['3.1.0', '3.2.7', '4.0.0']) {
    const parsed = parseRsyncVersion(`rsync  version ${v}  protocol version 31`)!;
    assert.equal(judgeRsyncVersion(parsed).ok, true, v);
  }
  const old = judgeRsyncVersion(parseRsyncVersion('rsync  version 3.0.9  protocol version 30')!);
  if (old.ok) assert.fail('3.0.9 must be refused');
  assert.equal(old.error.kind, 'too-old');
  assert.match(old.error.message, /3\.0\.9 is too old/);
  assert.match(old.error.message, /apt-get install -y rsync/);
});
