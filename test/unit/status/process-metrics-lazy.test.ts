// The process-wide registry is created on first use: a load recorded before it exists (a service
// without the status endpoint, until a reload turns it on) shows once it is created.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processMetrics, recordConfigLoad } from '../../../src/status/process-metrics.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';

test('a load recorded before the registry exists is served once it does', async () => {
  recordConfigLoad(true, 1_700_000_000_000);
  recordConfigLoad(false, 1_700_000_100_000);
  const m = parsePrometheusText(await processMetrics().registry.metrics());
  assert.equal(sampleValue(m, 'sersync_config_last_reload_successful'), 0);
  assert.equal(
    sampleValue(m, 'sersync_config_last_reload_success_timestamp_seconds'),
    1_700_000_000,
  );
  recordConfigLoad(true, 1_700_000_200_000);
  const m2 = parsePrometheusText(await processMetrics().registry.metrics());
  assert.equal(sampleValue(m2, 'sersync_config_last_reload_successful'), 1);
});
