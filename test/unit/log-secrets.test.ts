// The logger's secret book: it re-reads its source (the password file) when asked and on a new
// config, and never forgets a secret it knew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { createSecretBook } from '../../src/log-secrets.js';

test('the book learns what its source holds at each refresh and keeps the old secrets', () => {
  let file = ['old-pw'];
  const book = createSecretBook(['cdn-pw'], () => file);
  assert.equal(book.redact('old-pw cdn-pw new-pw'), '*** *** new-pw');
  file = ['new-pw'];
  assert.equal(book.redact('new-pw'), 'new-pw', 'not before a refresh');
  book.refresh();
  assert.equal(book.redact('old-pw cdn-pw new-pw'), '*** *** ***');
  // A new source (SIGHUP): the old one is asked a last time, then the new one.
  file = ['changed-meanwhile'];
  book.setSource(() => ['reloaded-pw', '  ']);
  assert.equal(book.redact('changed-meanwhile reloaded-pw old-pw'), '*** *** ***');
  assert.deepEqual(book.list(), ['changed-meanwhile', 'reloaded-pw', 'cdn-pw', 'old-pw', 'new-pw']);
});

test('createLogger: refreshSecrets and setSecretSource change what the next line hides', async () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  let file = 'first-secret';
  const log = createLogger({ level: 'info', stream, secrets: [], secretSource: () => [file] });
  log.info('a first-secret');
  file = 'second-secret';
  log.refreshSecrets?.();
  log.info('b second-secret');
  log.setSecretSource(() => ['third-secret']);
  log.info('c first-secret second-secret third-secret');
  assert.deepEqual(log.secrets?.(), ['second-secret', 'first-secret', 'third-secret']);
  await log.close();
  assert.ok(!/(first|second|third)-secret/.test(text), text);
  assert.equal(text.split('\n').filter((l) => l.endsWith('c *** *** ***')).length, 1, text);
});
