// The process-wide metrics: the standard Node and process metrics, registered once per
// process, and the outcome of the last configuration (re)load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processMetrics } from '../../../src/status/process-metrics.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';

test('the default metrics are there, in one registry per process', async () => {
  const pm = processMetrics();
  assert.equal(processMetrics(), pm, 'a second call (a reload) builds nothing new');
  const m = parsePrometheusText(await pm.registry.metrics());
  for (const name of [
    'process_resident_memory_bytes',
    'process_cpu_seconds_total',
    'process_open_fds',
    'process_cpu_user_seconds_total',
    'process_start_time_seconds',
    'process_max_fds',
    'nodejs_heap_size_used_bytes',
    'nodejs_heap_size_total_bytes',
    'nodejs_external_memory_bytes',
    'nodejs_version_info',
  ])
    assert.ok(m.has(name), name);
  assert.ok((sampleValue(m, 'process_resident_memory_bytes') ?? 0) > 1024 * 1024);
});

test('the last reload: successful with its time, then refused (the time stays)', async () => {
  const pm = processMetrics();
  const read = async () => {
    const m = parsePrometheusText(await pm.registry.metrics());
    return [
      sampleValue(m, 'sersync_config_last_reload_successful'),
      sampleValue(m, 'sersync_config_last_reload_success_timestamp_seconds'),
    ];
  };
  pm.recordConfigLoad(true, 1_700_000_000_500);
  assert.deepEqual(await read(), [1, 1_700_000_000.5]);
  pm.recordConfigLoad(false, 1_700_000_100_000);
  assert.deepEqual(await read(), [0, 1_700_000_000.5]);
  pm.recordConfigLoad(true, 1_700_000_200_000);
  assert.deepEqual(await read(), [1, 1_700_000_200]);
});
