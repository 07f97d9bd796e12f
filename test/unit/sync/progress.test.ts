// The -r progress board: a `\r` line on a terminal, periodic log lines otherwise. Fake clock and
// an in-memory stream; no timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../helpers/memory-logger.js';
import {
  createProgressBoard,
  describeProgress,
  formatMiB,
  formatSize,
  terminalLine,
  type ProgressStream,
} from '../../../src/sync/progress.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const MiB = 1024 * 1024;
const CLEAR_EOL = '\x1b[K';

function stream(isTTY: boolean, columns?: number): ProgressStream & { text: () => string } {
  let text = '';
  return {
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write(s: string) {
      text += s;
      return true;
    },
    text: () => text,
  };
}

/** What a terminal shows: each `\r` returns to column 0 and `\x1b[K` clears the rest of the row. */
function screen(raw: string): string[] {
  const rows: string[] = [];
  for (const line of raw.split('\n')) {
    const parts = line.split('\r');
    rows.push((parts[parts.length - 1] ?? '').split(CLEAR_EOL).join(''));
  }
  return rows;
}

test('describeProgress, formatMiB and formatSize: MiB with one decimal, KiB below 0.1 MiB, B below 1 KiB', () => {
  assert.equal(
    describeProgress('/data', '127.0.0.1::mod', { files: 2000, bytes: 3.25 * MiB }),
    'full sync of /data -> 127.0.0.1::mod: 2000 files, 3.3 MiB',
  );
  assert.equal(
    describeProgress('/d', 'h::m', { files: 1, bytes: 0 }),
    'full sync of /d -> h::m: 1 file, 0 B',
  );
  assert.equal(formatMiB(512 * 1024), '0.5');
  assert.equal(formatSize(40 * 1024), '40.0 KiB');
  assert.equal(formatSize(0.1 * MiB - 1), '102.4 KiB');
  assert.equal(formatSize(0.1 * MiB), '0.1 MiB');
  assert.equal(formatSize(1536), '1.5 KiB');
  assert.equal(formatSize(22), '22 B');
});

test('TTY: every update redraws one line on the stream; finish ends it; nothing is logged', () => {
  const out = stream(true);
  const logger = memoryLogger();
  const board = createProgressBoard({ logger, stream: out, clock: new FakeClock() });
  const sink = board.start('/data', 'h::m');
  sink.update({ files: 10, bytes: MiB });
  sink.update({ files: 250, bytes: 20 * MiB });
  assert.deepEqual(screen(out.text()), ['full sync of /data -> h::m: 250 files, 20.0 MiB']);
  assert.ok(!out.text().includes('\n'), 'no newline while running');
  sink.finish();
  assert.deepEqual(screen(out.text()), ['full sync of /data -> h::m: 250 files, 20.0 MiB', '']);
  sink.update({ files: 999, bytes: 0 });
  sink.finish();
  assert.doesNotMatch(out.text(), /999/, 'updates after finish are ignored');
  assert.deepEqual(logger.lines, []);
});

test('TTY: concurrent full syncs share the line; it is cut to the terminal width', () => {
  const out = stream(true, 200);
  const board = createProgressBoard({
    logger: memoryLogger(),
    stream: out,
    clock: new FakeClock(),
  });
  const a = board.start('/a', 'h::a');
  const b = board.start('/b', 'h::b');
  a.update({ files: 1, bytes: 0 });
  b.update({ files: 2, bytes: MiB });
  assert.deepEqual(screen(out.text()), [
    'full sync of /a -> h::a: 1 file, 0 B; full sync of /b -> h::b: 2 files, 1.0 MiB',
  ]);
  a.finish();
  assert.ok(!out.text().includes('\n'), 'the line stays open while another sync runs');
  b.update({ files: 3, bytes: MiB });
  assert.deepEqual(screen(out.text()), ['full sync of /b -> h::b: 3 files, 1.0 MiB']);

  const narrow = stream(true, 30);
  const n = createProgressBoard({
    logger: memoryLogger(),
    stream: narrow,
    clock: new FakeClock(),
  }).start('/a/very/long/root', 'h::m');
  n.update({ files: 5, bytes: 0 });
  const row = screen(narrow.text())[0] ?? '';
  assert.ok(row.length <= 29, `fits in 29 columns: ${JSON.stringify(row)}`);
  assert.ok(row.endsWith('…'));
});

test('not a TTY: a log line every 10 s of the clock, nothing on the stream', async () => {
  const out = stream(false);
  const logger = memoryLogger();
  const clock = new FakeClock(1_000);
  const sink = createProgressBoard({ logger, stream: out, clock }).start('/data', 'h::m');
  sink.update({ files: 5, bytes: MiB });
  await clock.advance(9_999);
  sink.update({ files: 50, bytes: 2 * MiB });
  assert.deepEqual(logger.lines, [], 'nothing before 10 s');
  await clock.advance(1);
  sink.update({ files: 60, bytes: 3 * MiB });
  assert.deepEqual(logger.lines, ['[info] full sync of /data -> h::m: 60 files, 3.0 MiB so far']);
  await clock.advance(5_000);
  sink.update({ files: 70, bytes: 3 * MiB });
  await clock.advance(5_000);
  sink.update({ files: 80, bytes: 4 * MiB });
  sink.finish();
  assert.deepEqual(logger.lines, [
    '[info] full sync of /data -> h::m: 60 files, 3.0 MiB so far',
    '[info] full sync of /data -> h::m: 80 files, 4.0 MiB so far',
  ]);
  assert.equal(out.text(), '');
});

test('TTY: a log line clears the progress line first; the next update draws it again', () => {
  const out = stream(true);
  const board = createProgressBoard({
    logger: memoryLogger(),
    stream: out,
    clock: new FakeClock(),
  });
  const sink = board.start('/data', 'h::m');
  sink.update({ files: 1, bytes: 2048 });
  // The logger's side, on the same terminal: clear, then its line.
  terminalLine.clear();
  out.write('2026-01-31 12:00:00 [info] a log line\n');
  assert.ok(!out.text().includes('KiB2026'), 'not glued to the progress line');
  sink.update({ files: 2, bytes: 4096 });
  sink.finish();
  assert.deepEqual(screen(out.text()), [
    '2026-01-31 12:00:00 [info] a log line',
    'full sync of /data -> h::m: 2 files, 4.0 KiB',
    '',
  ]);
  terminalLine.clear();
  assert.ok(out.text().endsWith('\n'), 'nothing to clear once every sync finished');
  // A sync whose result line was logged after its last update: no stale line drawn again.
  const out2 = stream(true);
  const b2 = createProgressBoard({ logger: memoryLogger(), stream: out2, clock: new FakeClock() });
  const s2 = b2.start('/d', 'h::m');
  s2.update({ files: 3, bytes: 0.5 * MiB });
  terminalLine.clear();
  out2.write('rsync -> h::m: full sync, exit 0\n');
  s2.finish();
  assert.deepEqual(screen(out2.text()), ['rsync -> h::m: full sync, exit 0', '']);
  assert.equal(out2.text().split('full sync of').length, 2, 'the progress line is drawn once');
});
