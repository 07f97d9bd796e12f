// First-seen times: the first change of a path counts; a synced directory (or the root) carries
// what is below it, not its siblings; clear() forgets what the queue dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeenTimes } from '../../../src/queue/seen.js';

test('a synced path reports its first change; a synced directory also what is below it', () => {
  const s = new SeenTimes();
  s.saw('a', 1);
  s.saw('a', 5);
  s.saw('d/x', 2);
  s.saw('d/e/y', 3);
  s.saw('dx/z', 4);
  assert.deepEqual(s.synced([{ path: 'a', isDir: false }]), [1]);
  assert.deepEqual(s.synced([{ path: 'a', isDir: false }]), [], 'forgotten once synced');
  assert.deepEqual(s.synced([{ path: 'd', isDir: true }]).sort(), [2, 3]);
  assert.deepEqual(s.synced([{ path: '', isDir: true }]), [4], 'the root carries everything');
  s.saw('gone', 9);
  s.clear();
  assert.deepEqual(s.synced([{ path: '', isDir: true }]), []);
});
