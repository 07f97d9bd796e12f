// Issue rendering and the "did you mean" hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance, formatIssue, shown } from '../../../src/config/issues.js';

test('formatIssue: file:line:col: severity: path: message', () => {
  assert.equal(
    formatIssue({
      severity: 'error',
      file: 'conf/x.xml',
      line: 31,
      col: 7,
      path: 'sersync/rsync/timeout@time',
      kind: 'bad-number',
      message: 'expected a whole number of seconds >= 0, got "abc"',
    }),
    'conf/x.xml:31:7: error: sersync/rsync/timeout@time: expected a whole number of seconds >= 0, got "abc"',
  );
});

test('didYouMean: close names (any case) get a hint, far ones do not', () => {
  assert.equal(
    didYouMean('comonParams', ['commonParams', 'auth']),
    ' (did you mean "commonParams"?)',
  );
  assert.equal(didYouMean('FAILOG', ['failLog', 'crontab']), ' (did you mean "failLog"?)');
  assert.equal(didYouMean('monitoring', ['host', 'debug']), '');
  assert.equal(didYouMean('x', []), '');
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('shown: quotes, escapes control characters and quotes, keeps backslashes, cuts long values', () => {
  assert.equal(shown('a"b\n\u0001\\d'), '"a\\"b\\n\\u0001\\d"');
  assert.equal(shown('x'.repeat(100)), `"${'x'.repeat(80)}…"`);
});
