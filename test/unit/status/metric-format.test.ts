// The exposition writer's pure parts: numbers, escaping, label order, histogram cumulation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  escapeHelp,
  escapeLabelValue,
  formatFamily,
  formatLabels,
  formatValue,
  histogramLines,
} from '../../../src/status/metric-format.js';

const values: [number, string][] = [
  [0, '0'],
  [1.5, '1.5'],
  [-2, '-2'],
  [1e21, '1e+21'],
  [Infinity, '+Inf'],
  [-Infinity, '-Inf'],
  [NaN, 'NaN'],
];
for (const [v, want] of values)
  test(`formatValue(${v}) = ${want}`, () => {
    assert.equal(formatValue(v), want);
  });

const labelValues: [string, string][] = [
  ['plain', 'plain'],
  ['a"b', 'a\\"b'],
  ['back\\slash', 'back\\\\slash'],
  ['two\nlines', 'two\\nlines'],
  ['\\"\n', '\\\\\\"\\n'],
];
for (const [v, want] of labelValues)
  test(`escapeLabelValue(${JSON.stringify(v)})`, () => {
    assert.equal(escapeLabelValue(v), want);
  });

test('escapeHelp escapes backslash and newline, not quotes', () => {
  assert.equal(escapeHelp('a "b"\\c\nd'), 'a "b"\\\\c\\nd');
});

test('formatLabels keeps the given order; none gives nothing', () => {
  assert.equal(formatLabels([]), '');
  assert.equal(
    formatLabels([
      ['remote', 'r"1'],
      ['result', 'ok'],
    ]),
    '{remote="r\\"1",result="ok"}',
  );
});

test('histogramLines: cumulative buckets, le last, +Inf equals the count', () => {
  const lines = histogramLines('d', [['remote', 'x']], [0.1, 1], [2, 0, 3], 4.5);
  assert.deepEqual(
    lines.map((l) => `${l.name}${formatLabels(l.labels)} ${formatValue(l.value)}`),
    [
      'd_bucket{remote="x",le="0.1"} 2',
      'd_bucket{remote="x",le="1"} 2',
      'd_bucket{remote="x",le="+Inf"} 5',
      'd_sum{remote="x"} 4.5',
      'd_count{remote="x"} 5',
    ],
  );
});

test('formatFamily: HELP, TYPE, then one line per sample', () => {
  assert.equal(
    formatFamily('x_total', 'Things\ncounted.', 'counter', [
      { name: 'x_total', labels: [['k', 'a']], value: 3 },
    ]),
    '# HELP x_total Things\\ncounted.\n# TYPE x_total counter\nx_total{k="a"} 3\n',
  );
});
