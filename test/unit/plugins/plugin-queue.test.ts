// The bounded plugin queue, driven by a fake clock and controllable calls (no real timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPluginQueue,
  type CallResult,
  type PluginQueueOptions,
} from '../../../src/plugins/plugin-queue.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { ok, err } from '../../../src/util/result.js';
import { FakeClock, flush } from './fixture.js';

interface Call {
  item: string;
  signal: AbortSignal;
  resolve: (r: CallResult) => void;
}

function setup(over: Partial<PluginQueueOptions<string>> = {}) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const calls: Call[] = [];
  const q = createPluginQueue<string>({
    name: 'socket',
    capacity: 3,
    timeoutMs: 100,
    closeGraceMs: 500,
    logger,
    clock,
    run: (item, signal) =>
      new Promise<CallResult>((resolve) => {
        calls.push({ item, signal, resolve });
      }),
    describe: (s) => JSON.stringify(s),
    ...over,
  });
  return { clock, logger, calls, q };
}

test('push returns before the call starts; calls run one at a time in order', async () => {
  const { calls, q } = setup();
  q.push('a');
  q.push('b');
  assert.equal(calls.length, 0, 'no plugin code ran inside push()');
  await flush();
  assert.deepEqual(
    calls.map((c) => c.item),
    ['a'],
  );
  calls[0]!.resolve(ok('done'));
  await flush();
  assert.deepEqual(
    calls.map((c) => c.item),
    ['a', 'b'],
  );
  calls[1]!.resolve(ok('skipped'));
  await flush();
  assert.deepEqual(q.stats(), {
    queued: 0,
    running: 0,
    succeeded: 1,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    skipped: 1,
  });
});

test('full queue drops the oldest waiting event and logs it with the plugin name', async () => {
  const { calls, q, logger } = setup();
  q.push('a');
  await flush(); // 'a' is running
  for (const x of ['b', 'c', 'd', 'e', 'f']) q.push(x);
  assert.equal(q.stats().queued, 3);
  assert.equal(q.stats().dropped, 2);
  assert.ok(
    logger.lines.some((l) => l === '[warn] plugin socket: queue full (capacity 3), dropped "b"'),
    logger.lines.join('\n'),
  );
  calls[0]!.resolve(ok('done'));
  for (let i = 1; i < 4; i++) {
    await flush();
    calls[i]!.resolve(ok('done'));
  }
  await flush();
  assert.deepEqual(
    calls.map((c) => c.item),
    ['a', 'd', 'e', 'f'],
  );
  // The second drop came within the same second: it is reported once the queue drains.
  assert.ok(
    logger.lines.some((l) => l.includes('1 more event(s) dropped')),
    logger.lines.join('\n'),
  );
});

test('a call that hangs is aborted at the timeout, logged, and the next one starts', async () => {
  const { calls, q, clock, logger } = setup();
  q.push('slow');
  q.push('next');
  await flush();
  clock.advance(99);
  await flush();
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.signal.aborted, false);
  clock.advance(1);
  await flush();
  assert.equal(calls[0]!.signal.aborted, true);
  assert.deepEqual(
    calls.map((c) => c.item),
    ['slow', 'next'],
  );
  assert.ok(logger.lines.includes('[warn] plugin socket: call timed out after 100 ms for "slow"'));
  calls[0]!.resolve(ok('done')); // late settle is ignored
  await flush();
  assert.equal(q.stats().timedOut, 1);
  assert.equal(q.stats().succeeded, 0);
});

test('failures are logged at the level the plugin chose; throws are internal errors', async () => {
  const { calls, q, logger } = setup();
  q.push('x');
  await flush();
  calls[0]!.resolve(err({ level: 'debug', message: 'exit 3 ignored' }));
  await flush();
  assert.ok(logger.lines.includes('[debug] plugin socket: exit 3 ignored'));
  const t = setup({ run: () => Promise.reject(new Error('boom')) });
  t.q.push('y');
  await flush();
  assert.ok(t.logger.lines.includes('[error] plugin socket: internal error for "y": boom'));
  assert.equal(t.q.stats().failed, 1);
});

test('close drains what is queued, then resolves; later pushes are dropped', async () => {
  const { calls, q } = setup();
  q.push('a');
  q.push('b');
  let closed = false;
  void q.close().then(() => {
    closed = true;
  });
  q.push('late');
  await flush();
  calls[0]!.resolve(ok('done'));
  await flush();
  assert.equal(closed, false);
  calls[1]!.resolve(ok('done'));
  await flush();
  assert.equal(closed, true);
  assert.deepEqual(
    calls.map((c) => c.item),
    ['a', 'b'],
  );
  assert.equal(q.stats().dropped, 1);
});

test('close past its grace aborts the running call and drops the rest with a log line', async () => {
  const { calls, q, clock, logger } = setup({ timeoutMs: 10_000 });
  for (const x of ['a', 'b', 'c']) q.push(x);
  await flush();
  let closed = false;
  void q.close().then(() => {
    closed = true;
  });
  clock.advance(500);
  await flush();
  assert.equal(closed, true);
  assert.equal(calls[0]!.signal.aborted, true);
  assert.equal(calls.length, 1);
  assert.ok(logger.lines.includes('[warn] plugin socket: closing, dropped 2 undelivered event(s)'));
  assert.equal(clock.pending, 0, 'no timer left behind');
});
