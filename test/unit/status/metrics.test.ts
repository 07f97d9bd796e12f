// The metrics registry and its Prometheus text rendering; and the strict checker used on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry, escapeLabelValue, formatValue } from '../../../src/status/metrics.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';

test('an empty registry renders nothing', () => {
  assert.equal(createRegistry().render(), '');
});

test('a counter without labels renders HELP, TYPE and 0 from the start, then counts', () => {
  const r = createRegistry();
  const c = r.counter('x_total', 'Things.');
  assert.equal(r.render(), '# HELP x_total Things.\n# TYPE x_total counter\nx_total 0\n');
  c.inc({});
  c.inc({}, 2.5);
  assert.equal(c.get({}), 3.5);
  assert.match(r.render(), /^x_total 3\.5$/m);
});

test('labelled series are sorted by label values and escaped', () => {
  const r = createRegistry();
  const c = r.counter('runs_total', 'Runs.', ['remote', 'result']);
  c.inc({ remote: 'b::m', result: 'ok' });
  c.inc({ remote: 'a"\\\n', result: 'failed' }, 4);
  const body = r.render();
  assert.deepEqual(body.split('\n').slice(2, 4), [
    'runs_total{remote="a\\"\\\\\\n",result="failed"} 4',
    'runs_total{remote="b::m",result="ok"} 1',
  ]);
  const parsed = parsePrometheusText(body);
  assert.equal(sampleValue(parsed, 'runs_total', { remote: 'a"\\\n', result: 'failed' }), 4);
});

test('gauges go up and down, and reset() forgets labelled series', () => {
  const r = createRegistry();
  const g = r.gauge('depth', 'Depth.');
  const lg = r.gauge('up', 'Up.', ['remote']);
  g.set({}, 7);
  g.inc({}, -2);
  lg.set({ remote: 'x' }, 1);
  assert.equal(g.get({}), 5);
  assert.match(r.render(), /^up\{remote="x"\} 1$/m);
  lg.reset();
  assert.doesNotMatch(r.render(), /^up\{/m);
});

test('histograms render cumulative buckets, +Inf, _sum and _count', () => {
  const r = createRegistry();
  const h = r.histogram('lat_seconds', 'Latency.', [0.1, 1, 10]);
  for (const v of [0.05, 0.1, 0.5, 3, 100]) h.observe({}, v);
  const body = r.render();
  assert.deepEqual(body.split('\n').slice(2, -1), [
    'lat_seconds_bucket{le="0.1"} 2',
    'lat_seconds_bucket{le="1"} 3',
    'lat_seconds_bucket{le="10"} 4',
    'lat_seconds_bucket{le="+Inf"} 5',
    'lat_seconds_sum 103.65',
    'lat_seconds_count 5',
  ]);
  assert.deepEqual(h.get({}), { count: 5, sum: 103.65 });
  parsePrometheusText(body);
});

test('labelled histograms keep one complete series per label set', () => {
  const r = createRegistry();
  const h = r.histogram('run_seconds', 'Run.', [1], ['remote']);
  h.observe({ remote: 'a' }, 0.5);
  h.observe({ remote: 'b' }, 5);
  const parsed = parsePrometheusText(r.render());
  assert.equal(sampleValue(parsed, 'run_seconds_bucket', { remote: 'a', le: '1' }), 1);
  assert.equal(sampleValue(parsed, 'run_seconds_bucket', { remote: 'b', le: '1' }), 0);
  assert.equal(sampleValue(parsed, 'run_seconds_count', { remote: 'b' }), 1);
});

test('collect hooks run before each render', () => {
  const r = createRegistry();
  const g = r.gauge('probe', 'Probe.');
  let n = 0;
  r.onCollect(() => {
    g.set({}, ++n);
  });
  assert.match(r.render(), /^probe 1$/m);
  assert.match(r.render(), /^probe 2$/m);
});

test('declaration and use bugs throw', () => {
  const r = createRegistry();
  const c = r.counter('ok_total', 'x', ['a']);
  const cases: [string, () => unknown][] = [
    ['bad metric name', () => r.counter('1bad', 'x')],
    ['declared twice', () => r.gauge('ok_total', 'x')],
    ['reserved label', () => r.counter('y', 'x', ['__a'])],
    ['le on a histogram', () => r.histogram('h', 'x', [1], ['le'])],
    ['unsorted buckets', () => r.histogram('h2', 'x', [2, 1])],
    [
      'missing label',
      () => {
        c.inc({} as { a: string });
      },
    ],
    [
      'extra label',
      () => {
        c.inc({ a: '1', b: '2' } as { a: string });
      },
    ],
    [
      'negative counter step',
      () => {
        c.inc({ a: '1' }, -1);
      },
    ],
    [
      'non-finite value',
      () => {
        c.inc({ a: '1' }, NaN);
      },
    ],
  ];
  for (const [what, fn] of cases) assert.throws(fn, /Internal error/, what);
});

test('value and label formatting', () => {
  assert.deepEqual([Infinity, -Infinity, NaN, 0, 1.5, 1e21].map(formatValue), [
    '+Inf',
    '-Inf',
    'NaN',
    '0',
    '1.5',
    '1e+21',
  ]);
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

test('the strict checker rejects malformed exposition text', () => {
  const ok = '# TYPE a counter\na 1\n';
  assert.doesNotThrow(() => parsePrometheusText(ok));
  const bad: [string, string][] = [
    ['no final newline', '# TYPE a counter\na 1'],
    ['sample before TYPE', 'a 1\n'],
    ['bad value', '# TYPE a counter\na one\n'],
    ['bad label escape', '# TYPE a counter\na{x="\\t"} 1\n'],
    ['unquoted label', '# TYPE a counter\na{x=1} 1\n'],
    ['duplicate series', '# TYPE a counter\na 1\na 2\n'],
    ['non-contiguous family', '# TYPE a counter\na 1\n# TYPE b gauge\nb 1\na{x="y"} 1\n'],
    ['empty line', '# TYPE a counter\n\na 1\n'],
    ['negative counter', '# TYPE a counter\na -1\n'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      'non-cumulative histogram',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
    ],
    ['two spaces', '# TYPE a counter\na  1\n'],
  ];
  for (const [what, text] of bad) assert.throws(() => parsePrometheusText(text), Error, what);
});
