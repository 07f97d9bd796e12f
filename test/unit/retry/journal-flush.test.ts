// FlushScheduler with a FakeClock and a fake writer (deferreds, no real timers): the first batch
// goes at once, later ones at most one per fsyncMs, sync() waits for its batch, a failed batch is
// retried first with back-off, close() flushes what is left and reports what could not be written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalRecord } from '../../../src/retry/journal-codec.js';
import {
  encodeQueue,
  FlushScheduler,
  MAX_RETRY_MS,
  type Batch,
  type BatchFailure,
} from '../../../src/retry/journal-flush.js';
import { encodeRecords } from '../../../src/retry/journal-codec.js';
import { FakeClock, deferred, drain, type Deferred } from '../../helpers/fake-clock.js';

const rec = (path: string): JournalRecord => ({ kind: 'pending', targetKey: 't', path });

interface Call {
  readonly at: number;
  readonly batch: Batch;
  readonly done: Deferred<BatchFailure>;
}

function setup(fsyncMs = 50) {
  const clock = new FakeClock(1000);
  const calls: Call[] = [];
  const errors: Error[] = [];
  const flusher = new FlushScheduler({
    clock,
    fsyncMs,
    write: (batch) => {
      const done = deferred<BatchFailure>();
      calls.push({ at: clock.now(), batch, done });
      return done.promise;
    },
    onError: (e) => errors.push(e),
  });
  return { clock, calls, errors, flusher };
}

const paths = (b: Batch): string[] =>
  b.parts.map((p) => (p instanceof Uint8Array ? `<${p.length} bytes>` : p.path));

test('the first batch goes at once, the next one fsyncMs after the previous flush', async () => {
  const { clock, calls, flusher } = setup(50);
  flusher.enqueue([rec('a'), rec('b')], 20);
  await clock.advance(0);
  assert.equal(calls.length, 1);
  assert.deepEqual(paths(calls[0]!.batch), ['a', 'b']);
  assert.equal(calls[0]!.batch.bytes, 20);
  flusher.enqueue([rec('c')], 7);
  flusher.enqueue([rec('d')], 7);
  await clock.advance(100);
  assert.equal(calls.length, 1, 'no second batch while the first is being written');
  calls[0]!.done.resolve(undefined);
  await clock.advance(0);
  assert.equal(calls.length, 2, 'more than fsyncMs since the last flush: at once');
  assert.equal(calls[1]!.at, 1100);
  assert.deepEqual(paths(calls[1]!.batch), ['c', 'd']);
  calls[1]!.done.resolve(undefined);
  await clock.advance(10);
  flusher.enqueue([rec('e')], 7);
  await clock.advance(39);
  assert.equal(calls.length, 2);
  await clock.advance(1);
  assert.equal(calls.length, 3);
  assert.equal(calls[2]!.at, 1150);
});

test('an empty enqueue arms nothing; sync() with nothing queued resolves at once', async () => {
  const { clock, calls, flusher } = setup();
  flusher.enqueue([], 0);
  assert.equal(clock.timerCount, 0);
  await flusher.sync();
  assert.equal(calls.length, 0);
});

test('sync() resolves once its batch is durable, not before', async () => {
  const { clock, calls, flusher } = setup();
  flusher.enqueue([rec('a')], 7);
  let synced = false;
  const s = flusher.sync().then(() => (synced = true));
  await clock.advance(0);
  assert.equal(synced, false);
  calls[0]!.done.resolve(undefined);
  await s;
  assert.equal(synced, true);
});

test('a failed batch rejects its waiters, goes first next time, with doubling back-off', async () => {
  const { clock, calls, errors, flusher } = setup(50);
  flusher.enqueue([rec('a')], 7);
  const s1 = flusher.sync();
  await clock.advance(0);
  const boom = new Error('EIO');
  flusher.enqueue([rec('b')], 7);
  calls[0]!.done.resolve({ error: boom, retry: new Uint8Array(3) });
  await assert.rejects(s1, /EIO/);
  assert.deepEqual(errors, [boom]);
  // One failure: back-off max(fsyncMs, fsyncMs * 2) = 100 ms after the failed flush.
  assert.equal(clock.nextTimerAt(), 1100);
  await clock.advance(100);
  assert.equal(calls.length, 2);
  assert.deepEqual(paths(calls[1]!.batch), ['<3 bytes>', 'b']);
  assert.equal(calls[1]!.batch.bytes, 10);
  calls[1]!.done.resolve({ error: boom, retry: new Uint8Array(0) });
  await clock.advance(0);
  assert.equal(clock.timerCount, 0, 'nothing left to retry');
  flusher.enqueue([rec('c')], 7);
  assert.equal(clock.nextTimerAt(), 1100 + 200, 'two failures: 4 x fsyncMs');
  await clock.advance(200);
  calls[2]!.done.resolve(undefined);
  await flusher.sync();
  await drain();
  flusher.enqueue([rec('d')], 7);
  assert.equal(clock.nextTimerAt(), 1300 + 50, 'a success resets the back-off');
});

test('the back-off is capped at MAX_RETRY_MS', async () => {
  const { clock, calls, flusher } = setup(1000);
  flusher.enqueue([rec('a')], 7);
  for (let i = 0; i < 4; i++) {
    await clock.runNext();
    calls[i]!.done.resolve({ error: new Error('EIO'), retry: new Uint8Array(1) });
    await drain();
  }
  assert.equal(clock.nextTimerAt()! - calls[3]!.at, MAX_RETRY_MS);
});

test('a throwing writer is reported and does not stop later flushes', async () => {
  const { clock, calls, errors, flusher } = setup();
  flusher.enqueue([rec('a')], 7);
  await clock.advance(0);
  calls[0]!.done.reject(new Error('bug'));
  await clock.advance(0);
  assert.deepEqual(
    errors.map((e) => e.message),
    ['bug'],
  );
  flusher.enqueue([rec('b')], 7);
  await clock.advance(50);
  assert.equal(calls.length, 2);
});

test('close() waits for the running flush, flushes the rest at once and returns what is unwritten', async () => {
  const { clock, calls, flusher } = setup();
  flusher.enqueue([rec('a')], 7);
  await clock.advance(0);
  flusher.enqueue([rec('b')], 7);
  const closed = flusher.close();
  assert.equal(clock.timerCount, 0);
  calls[0]!.done.resolve(undefined);
  await drain();
  assert.equal(calls.length, 2, 'the last batch goes without waiting for fsyncMs');
  calls[1]!.done.resolve({ error: new Error('ENOSPC'), retry: new Uint8Array(5) });
  assert.equal(await closed, 5);
  flusher.enqueue([rec('c')], 7);
  assert.equal(clock.timerCount, 0, 'nothing is armed after close');
});

test('encodeQueue encodes runs of records and keeps retried bytes as they are', () => {
  const raw = Uint8Array.of(1, 2, 3);
  const out = encodeQueue([rec('a'), rec('b'), raw, rec('c')]);
  const expected = Buffer.concat([
    encodeRecords([rec('a'), rec('b')]),
    raw,
    encodeRecords([rec('c')]),
  ]);
  assert.deepEqual(out, expected);
});
