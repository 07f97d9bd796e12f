import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ioCounters,
  sampleEveryMs,
  watchdogVerdict,
  type WatchState,
} from '../../../src/sync/watchdog.js';
import { silenceLimitMs } from '../../../src/sync/argv.js';
import { FakeClock } from '../../helpers/fake-clock.js';

test('watchdog: killed only after the silence limit without output, never for the run length', () => {
  const rows: [WatchState, number, number, number | undefined, unknown][] = [
    // state, now, outputAt, io; silence 1000 (sample every 100)
    [{ progressAt: 0 }, 0, 0, undefined, { kill: false, next: { progressAt: 0 }, checkInMs: 100 }],
    [{ progressAt: 0 }, 950, 0, undefined, { kill: false, next: { progressAt: 0 }, checkInMs: 50 }],
    [{ progressAt: 0 }, 1000, 0, undefined, { kill: true }],
    // a run hours long that just spoke
    [
      { progressAt: 0 },
      10_000_500,
      10_000_000,
      undefined,
      { kill: false, next: { progressAt: 10_000_000 }, checkInMs: 100 },
    ],
  ];
  for (const [state, now, outputAt, io, want] of rows)
    assert.deepEqual(watchdogVerdict(state, now, outputAt, io, 1000), want, `${now}`);
});

test('watchdog: moving I/O counters are progress; still counters are silence', () => {
  const rows: [WatchState, number, number | undefined, unknown][] = [
    // state, now, io (no output since 0); silence 1000
    // the first sample only records the counters
    [{ progressAt: 0 }, 100, 5, { kill: false, next: { progressAt: 0, io: 5 }, checkInMs: 100 }],
    // moved: progress now
    [
      { progressAt: 0, io: 5 },
      990,
      9,
      { kill: false, next: { progressAt: 990, io: 9 }, checkInMs: 100 },
    ],
    // moved at the very limit: still alive
    [
      { progressAt: 0, io: 5 },
      1000,
      6,
      { kill: false, next: { progressAt: 1000, io: 6 }, checkInMs: 100 },
    ],
    // still counters for the whole limit: killed
    [{ progressAt: 0, io: 5 }, 1000, 5, { kill: true }],
    // /proc unreadable now: output only
    [{ progressAt: 0, io: 5 }, 1000, undefined, { kill: true }],
  ];
  for (const [state, now, io, want] of rows)
    assert.deepEqual(watchdogVerdict(state, now, 0, io, 1000), want, `${now} ${io}`);
});

test('watchdog on a clock: a silent big file whose counters move for an hour lives; a stall dies within a limit and a sample', async () => {
  const silence = silenceLimitMs(2); // 10 min
  const run = async (ioAt: (t: number) => number, until: number): Promise<number | undefined> => {
    const clock = new FakeClock();
    let state: WatchState = { progressAt: clock.now() };
    let killedAt: number | undefined;
    const check = (): void => {
      const v = watchdogVerdict(state, clock.now(), 0, ioAt(clock.now()), silence);
      if (v.kill) killedAt = clock.now();
      else {
        state = v.next;
        clock.setTimeout(check, v.checkInMs);
      }
    };
    clock.setTimeout(check, sampleEveryMs(silence));
    await clock.advance(until);
    return killedAt;
  };
  const hour = 3_600_000;
  assert.equal(await run((t) => Math.floor(t / 1000), hour), undefined); // 1 byte a second, no output
  const stallAt = 20 * 60_000;
  const killed = await run((t) => Math.floor(Math.min(t, stallAt) / 1000), hour);
  assert.ok(killed !== undefined, 'a stalled run is killed');
  assert.ok(killed - stallAt >= silence && killed - stallAt <= silence + sampleEveryMs(silence));
});

test('silence limit: max(10 x N s, 10 min); counters sampled every tenth of it', () => {
  assert.equal(silenceLimitMs(2), 600_000);
  assert.equal(silenceLimitMs(100), 1_000_000);
  assert.equal(sampleEveryMs(600_000), 60_000);
});

test('/proc/PID/io: rchar + wchar', () => {
  const text = 'rchar: 6976\nwchar: 100\nsyscr: 10\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\n';
  assert.equal(ioCounters(text), 7076);
  assert.equal(ioCounters('syscr: 1\n'), undefined);
  assert.equal(ioCounters(''), undefined);
});
