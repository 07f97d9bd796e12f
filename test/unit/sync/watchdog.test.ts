import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchdogVerdict } from '../../../src/sync/kill.js';
import { silenceLimitMs } from '../../../src/sync/argv.js';

test('watchdog: killed only after the silence limit without progress, never for the run length', () => {
  const rows: [number, number, number, unknown][] = [
    // lastProgressAt, now, silenceMs, verdict
    [0, 0, 1000, { kill: false, checkInMs: 1000 }],
    [0, 999, 1000, { kill: false, checkInMs: 1 }],
    [0, 1000, 1000, { kill: true }],
    [10_000_000, 10_000_500, 1000, { kill: false, checkInMs: 500 }], // a run hours long that just spoke
  ];
  for (const [last, now, silence, want] of rows)
    assert.deepEqual(watchdogVerdict(last, now, silence), want, `${last} ${now} ${silence}`);
});

test('silence limit: max(10 x N s, 10 min)', () => {
  assert.equal(silenceLimitMs(2), 600_000);
  assert.equal(silenceLimitMs(100), 1_000_000);
});
