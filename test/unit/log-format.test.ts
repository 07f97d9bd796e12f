// formatLine / isJournalStream / createLogger's format options: journald priority lines, JSON
// lines, the level setting. Pure apart from an in-memory stream.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, formatLine, isJournalStream } from '../../src/log.js';

const T = { local: '2026-01-31 12:00:00', iso: '2026-01-31T11:00:00.000Z' };

test('formatLine: text, journald, json, json under journald', () => {
  const text = { format: 'text', journal: false } as const;
  const journal = { format: 'text', journal: true } as const;
  assert.equal(formatLine(text, 'warn', 'w', T), '2026-01-31 12:00:00 [warn] w');
  assert.equal(formatLine(journal, 'error', 'e', T), '<3>[error] e');
  assert.equal(formatLine(journal, 'warn', 'w', T), '<4>[warn] w');
  assert.equal(formatLine(journal, 'info', 'i', T), '<6>[info] i');
  assert.equal(formatLine(journal, 'debug', 'a\nb', T), '<7>[debug] a\\nb');
  assert.equal(
    formatLine({ format: 'json', journal: false }, 'info', 'say "x"', T),
    '{"time":"2026-01-31T11:00:00.000Z","level":"info","message":"say \\"x\\""}',
  );
  assert.equal(
    formatLine({ format: 'json', journal: true }, 'error', 'e', T),
    '<3>{"level":"error","message":"e"}',
  );
});

test('isJournalStream: DEVICE:INODE must match the fd exactly', () => {
  const st = { dev: 2049n, ino: 123456789012n };
  assert.equal(isJournalStream('2049:123456789012', st), true);
  assert.equal(isJournalStream('2049:123456789013', st), false);
  assert.equal(isJournalStream('2049', st), false);
  assert.equal(isJournalStream(undefined, st), false);
  assert.equal(isJournalStream(' 2049:123456789012', st), false);
});

test('createLogger: level and json format on a stream; journal flag', async () => {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ level: 'warn', stream, secrets: ['pw'], format: 'json' });
  log.info('hidden');
  log.warn('shown pw');
  await log.close();
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, out);
  const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(rec['level'], 'warn');
  assert.equal(rec['message'], 'shown ***');
  out = '';
  const j = createLogger({ level: 'debug', stream, secrets: [], journal: true });
  j.debug('d');
  await j.close();
  assert.equal(out, '<7>[debug] d\n');
});
