// Which `<host hostip>` values the status server will bind (loopback only unless allowRemote).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBindAddress, isLoopback } from '../../../src/status/status-server.js';

test('loopback addresses are accepted; localhost maps to 127.0.0.1', () => {
  const table: [string, string][] = [
    ['localhost', '127.0.0.1'],
    ['LocalHost', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['127.3.2.1', '127.3.2.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
  ];
  for (const [host, want] of table)
    assert.deepEqual(checkBindAddress(host), { ok: true, value: want }, host);
});

test('other addresses are refused unless allowRemote', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1']) {
    const r = checkBindAddress(host);
    assert.equal(r.ok ? 'accepted' : r.error.kind, 'not-loopback', host);
    assert.deepEqual(checkBindAddress(host, true), { ok: true, value: host }, host);
  }
});

test('names other than localhost are refused even with allowRemote (no DNS at start-up)', () => {
  for (const host of ['example.com', 'myhost', '', '127.0.0.1:80']) {
    const r = checkBindAddress(host, true);
    assert.equal(r.ok ? 'accepted' : r.error.kind, 'bad-address', host);
  }
});

test('isLoopback', () => {
  assert.deepEqual(['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '1.2.3.4', '::2'].map(isLoopback), [
    true,
    true,
    true,
    false,
    false,
  ]);
});
