// createSystemdNotifier / watchdogIntervalMs with a recording sender. No socket, no timers fired.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { createSystemdNotifier, watchdogIntervalMs } from '../../../src/systemd/notify.js';
import { err, ok } from '../../../src/util/result.js';

test('watchdogIntervalMs: half of WATCHDOG_USEC, only for this pid', () => {
  assert.equal(watchdogIntervalMs({}, 10), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 10), 30_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '10' }, 10), 30_000);
  assert.equal(
    watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '11' }, 10),
    undefined,
  );
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }, 10), undefined);
});

test('READY=1 and STOPPING=1 go to $NOTIFY_SOCKET; nothing without it', () => {
  const sent: [string, string][] = [];
  const send = (s: string, m: string): number => {
    sent.push([s, m]);
    return 0;
  };
  const n = createSystemdNotifier({ NOTIFY_SOCKET: '/run/systemd/notify' }, memoryLogger(), () =>
    ok(send),
  );
  n.ready();
  n.stopping();
  n.close();
  assert.deepEqual(sent, [
    ['/run/systemd/notify', 'READY=1\nSTATUS=watching'],
    ['/run/systemd/notify', 'STOPPING=1\nSTATUS=stopping'],
  ]);
  let loaded = false;
  const none = createSystemdNotifier({}, memoryLogger(), () => {
    loaded = true;
    return ok(send);
  });
  none.ready();
  assert.equal(loaded, false, 'the addon is not even loaded outside systemd');
  assert.equal(sent.length, 2);
});

test('no sender (addon missing) or a failing send: one warning, never a throw', () => {
  const logger = memoryLogger();
  const n = createSystemdNotifier({ NOTIFY_SOCKET: '@x' }, logger, () => err('no addon'));
  n.ready();
  assert.equal(logger.lines.length, 1);
  assert.match(logger.lines[0] ?? '', /^\[warn\] NOTIFY_SOCKET is set but .*no addon.*Type=exec/);
  const l2 = memoryLogger('warn');
  const f = createSystemdNotifier({ NOTIFY_SOCKET: '@x' }, l2, () => ok(() => -111));
  f.ready();
  f.stopping();
  assert.deepEqual(l2.lines, ['[warn] sd_notify READY=1 to @x failed: errno 111']);
});
