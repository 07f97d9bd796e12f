// The reader behind the dashboard/alert-rules check (test/integration/metrics-e2e.test.ts): it must
// find every metric and matched label in a PromQL expression, and nothing else, or that check
// could pass without looking.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ruleFile, selectorsOf, type Selector } from '../../helpers/monitoring-files.js';
import { tmpDir } from '../../helpers/tmp.js';

test('selectorsOf finds metric names and matched labels, not functions, keywords or variables', () => {
  const rows: [string, Selector[]][] = [
    ['up{job="sersync"} == 0', [{ name: 'up', labels: ['job'] }]],
    [
      'histogram_quantile(0.9, sum by (le, remote) (rate(a_bucket{instance=~"$instance", remote!~"x{1}"}[$__rate_interval])))',
      [{ name: 'a_bucket', labels: ['instance', 'remote'] }],
    ],
    [
      'min_over_time(p[15m]) > 0 and deriv(p[15m]) > bool 0 unless on (instance) q offset 5m',
      [
        { name: 'p', labels: [] },
        { name: 'p', labels: [] },
        { name: 'q', labels: [] },
      ],
    ],
    ['count(m == 0) or vector(0)', [{ name: 'm', labels: [] }]],
    ['time() - max by (remote) (ts_seconds)', [{ name: 'ts_seconds', labels: [] }]],
    [
      'sum(rate(x_sum[5m])) / sum(rate(x_count[1e3s]))',
      [
        { name: 'x_sum', labels: [] },
        { name: 'x_count', labels: [] },
      ],
    ],
  ];
  for (const [expr, want] of rows) assert.deepEqual(selectorsOf(expr), want, expr);
  assert.throws(() => selectorsOf('{job="x"}'), /selector without a metric name/);
});

test('ruleFile reads a rule file and refuses a broken structure', () => {
  const tmp = tmpDir();
  const file = join(tmp.path, 'r.yml');
  const good =
    'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        labels: {severity: warning}\n';
  writeFileSync(file, good);
  assert.deepEqual(ruleFile(file), [
    { alert: 'A', expr: 'up == 0', for: '5m', labels: { severity: 'warning' } },
  ]);
  const broken: [string, RegExp][] = [
    ['rules: []\n', /no groups list/],
    [good.replace('for: 5m', 'for: soon'), /for is not a duration/],
    [good.replace('alert: A', 'alert: A\n        record: r'), /exactly one of alert and record/],
    [good.replace('expr: up == 0', 'expression: up'), /unknown key expression/],
    [good.replace('{severity: warning}', '{severity: [1]}'), /string/],
    [`${good}  - name: g\n    rules:\n      - record: r\n        expr: up\n`, /group g twice/],
  ];
  for (const [text, want] of broken) {
    writeFileSync(file, text);
    assert.throws(() => ruleFile(file), want, text);
  }
  tmp.cleanup();
});
