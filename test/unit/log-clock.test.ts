// The log's local timestamp: zero padding, and one formatting per second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClock, localTime } from '../../src/log-clock.js';

// Local time: build the expected text from the same local Date fields the log uses.
const at = (y: number, mo: number, d: number, h: number, mi: number, s: number): number =>
  new Date(y, mo - 1, d, h, mi, s).getTime();

const rows: [number, string][] = [
  [at(2026, 1, 5, 3, 4, 5), '2026-01-05 03:04:05'],
  [at(2026, 12, 31, 23, 59, 59), '2026-12-31 23:59:59'],
  [at(2026, 10, 10, 10, 10, 10) + 999, '2026-10-10 10:10:10'],
];
for (const [ms, want] of rows)
  test(`localTime -> ${want}`, () => {
    assert.equal(localTime(ms), want);
  });

test('createClock reformats only when the second changes', () => {
  let now = at(2026, 1, 5, 3, 4, 5);
  const clock = createClock(() => now);
  const first = clock();
  now += 500;
  assert.equal(clock(), first); // same second: the cached text
  now += 500;
  assert.equal(clock(), '2026-01-05 03:04:06');
});
