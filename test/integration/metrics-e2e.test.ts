// /metrics of a running service syncing to a real rsync daemon: the run facts are real values (a
// path batch's bytes and items, the change-seen → on-target latency), build info, the standard
// Node and process metrics, the config-reload gauges across SIGHUP, and every metric and label
// that conf/grafana-dashboard.json and conf/prometheus-alerts.yml use is exported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { dashboardExprs, ruleFile, selectorsOf, type Expr } from '../helpers/monitoring-files.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prom-text.js';
import { freePort, startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const DASHBOARD = join(REPO, 'conf', 'grafana-dashboard.json');
const ALERTS = join(REPO, 'conf', 'prometheus-alerts.yml');
/** Names Prometheus adds itself: `up` per target, `instance` and `job` on every series. */
const SCRAPE_METRICS = new Set(['up']);
const TARGET_LABELS = new Set(['instance', 'job']);
const MOD = { remote: '127.0.0.1::mod' };

const tmp = tmpDir('sersync-metrics-');
const src = join(tmp.path, 'src');
const dst = join(tmp.path, 'dst');
let rsyncd: Rsyncd;
let svc: Service;
let statusPort: number;
let xml: string;

async function scrape(): Promise<Map<string, Family>> {
  const r = await fetch(`http://127.0.0.1:${statusPort}/metrics`);
  assert.equal(r.status, 200);
  return parsePrometheusText(await r.text());
}
const value = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  sampleValue(m, name, labels) ?? 0;

before(async () => {
  for (const d of [src, dst]) mkdirSync(d);
  rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  statusPort = await freePort();
  xml = confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: rsyncd.port,
    failLog: join(tmp.path, 'fail.sh'),
    statusPort,
  });
  svc = await startService(tmp.path, xml); // no -r: every byte below comes from path batches
  await eventually(async () => (await fetch(`http://127.0.0.1:${statusPort}/healthz`)).ok, {
    what: 'the status endpoint',
  });
});

after(async () => {
  assert.equal(await svc.stop(), 0, svc.output());
  await rsyncd.stop();
  tmp.cleanup();
});

describe('metrics of a service syncing to a real rsync daemon', () => {
  test('a path batch counts its items and the sizes it sent; the latency is change seen → on the target', async () => {
    const before = await scrape();
    assert.equal(value(before, 'sersync_rsync_bytes_total', MOD), 0);
    assert.equal(value(before, 'sersync_sync_latency_seconds_count'), 0);
    const t0 = Date.now();
    writeFileSync(join(src, 'a.bin'), Buffer.alloc(5000, 7));
    writeFileSync(join(src, 'b.txt'), 'abc');
    await eventually(() => diffTrees(src, dst).length === 0, { what: 'the files at the target' });
    const m = await eventually(
      async () => {
        const s = await scrape();
        return value(s, 'sersync_sync_latency_seconds_count') >= 2 ? s : undefined;
      },
      { what: 'both paths in the latency histogram' },
    );
    const elapsed = (Date.now() - t0) / 1000;
    assert.ok(value(m, 'sersync_rsync_bytes_total', MOD) >= 5003, 'the sizes of both files');
    assert.ok(value(m, 'sersync_rsync_items_total', MOD) >= 2);
    assert.ok(value(m, 'sersync_rsync_runs_total', { ...MOD, result: 'ok' }) >= 1);
    const count = value(m, 'sersync_sync_latency_seconds_count');
    const sum = value(m, 'sersync_sync_latency_seconds_sum');
    assert.ok(
      sum > 0 && sum <= count * elapsed,
      `latency sum ${sum} s for ${count} within ${elapsed} s`,
    );
    assert.ok(value(m, 'sersync_rsync_run_duration_seconds_sum', MOD) > 0);
  });

  test('build info, and the Node.js and process metrics', async () => {
    const m = await scrape();
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const status = (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as {
      backend: string;
    };
    const info = m.get('sersync_build_info')?.samples ?? [];
    assert.deepEqual(
      info.map((s) => [s.labels, s.value]),
      [[{ version: pkg.version, node_version: process.version, backend: status.backend }, 1]],
    );
    assert.ok(value(m, 'process_resident_memory_bytes') > 10 * 1024 * 1024);
    assert.ok(value(m, 'process_start_time_seconds') > 0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
    ])
      assert.ok(m.has(name), name);
    assert.equal(value(m, 'sersync_config_last_reload_successful'), 1);
  });

  test('every metric and label the dashboard and the alert rules use is exported', async (t) => {
    const rules = ruleFile(ALERTS);
    const exprs: Expr[] = [
      ...dashboardExprs(DASHBOARD),
      ...rules.map((r) => ({ where: `alert ${r.alert ?? r.record ?? '?'}`, expr: r.expr })),
    ];
    assert.ok(rules.length >= 8 && exprs.length >= 30, 'both files were read');
    for (const r of rules) {
      assert.ok(r.labels?.['severity'], `alert ${r.alert ?? '?'}: a severity label`);
      assert.ok(r.annotations?.['summary'], `alert ${r.alert ?? '?'}: a summary`);
    }
    // One synced file, so that the series that exist only after a success exist (last success).
    writeFileSync(join(src, 'c.txt'), 'c');
    const m = await eventually(
      async () => {
        const s = await scrape();
        return sampleValue(s, 'sersync_remote_last_success_timestamp_seconds', MOD) ? s : undefined;
      },
      { what: 'a successful run' },
    );
    const used = new Set<string>();
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      const selectors = selectorsOf(expr);
      if (selectors.length === 0) problems.push(`${where}: no metric in ${expr}`);
      for (const { name, labels } of selectors) {
        used.add(name);
        if (SCRAPE_METRICS.has(name)) continue;
        const family = familyOf(m, name);
        if (family === undefined) {
          problems.push(`${where}: ${name} is not exported`);
          continue;
        }
        for (const l of labels)
          if (!TARGET_LABELS.has(l) && !family.samples.some((s) => l in s.labels))
            problems.push(`${where}: ${name} has no label ${l}`);
      }
    }
    assert.deepEqual(problems, []);
    // What the brief asks the dashboard to show is really there.
    for (const name of [
      'sersync_sync_latency_seconds_bucket',
      'sersync_rsync_runs_total',
      'sersync_queue_pending_paths',
      'sersync_retries_total',
      'sersync_watcher_rescans_total',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'sersync_config_last_reload_successful',
    ])
      assert.ok(used.has(name), name);
    // promtool, when installed (SERSYNC_PROMTOOL or PATH), checks the rule file fully, and parses
    // the dashboard's expressions (Grafana variables filled in) as recording rules.
    const promtool = process.env['SERSYNC_PROMTOOL'] ?? 'promtool';
    const asRules = join(tmp.path, 'dashboard-rules.yml');
    writeFileSync(asRules, dashboardAsRules(dashboardExprs(DASHBOARD)));
    for (const file of [ALERTS, asRules]) {
      const checked = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
      if (checked.error) {
        t.diagnostic(`${promtool} not found: the files were checked without it`);
        break;
      }
      assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    }
  });

  test('SIGHUP: a good file sets the reload gauge to 1 with a newer time; a bad one sets 0 and keeps it', async () => {
    const reload = async (text: string, logged: RegExp) => {
      writeFileSync(join(tmp.path, 'confxml.xml'), text);
      const from = svc.output().length;
      svc.proc.kill('SIGHUP');
      await eventually(() => logged.test(svc.output().slice(from)), {
        timeoutMs: 30_000,
        what: String(logged),
      });
      return eventually(async () => {
        try {
          return await scrape();
        } catch {
          return undefined; // the endpoint restarts with the new pipeline
        }
      });
    };
    const startedAt = value(await scrape(), 'sersync_config_last_reload_success_timestamp_seconds');
    assert.ok(startedAt > 0);
    let m = await reload(xml, /ready: watching /);
    assert.equal(value(m, 'sersync_config_last_reload_successful'), 1);
    const reloadedAt = value(m, 'sersync_config_last_reload_success_timestamp_seconds');
    assert.ok(reloadedAt > startedAt, `${reloadedAt} > ${startedAt}`);
    const bad = xml.replace(
      '<timeout start="true" time="100"/>',
      '<timeout start="true" time="abc"/>',
    );
    assert.notEqual(bad, xml, 'confXml layout changed: cannot break <timeout>');
    m = await reload(bad, /the new configuration has errors/);
    assert.equal(value(m, 'sersync_config_last_reload_successful'), 0);
    assert.equal(value(m, 'sersync_config_last_reload_success_timestamp_seconds'), reloadedAt);
  });
});

/** The dashboard's expressions as a rule file of recording rules, its `$variables` filled in. */
function dashboardAsRules(exprs: readonly Expr[]): string {
  const rules = exprs.map((e, i) => {
    const expr = e.expr.replace(/\$__rate_interval/g, '5m').replace(/\$\w+/g, '.*');
    return `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(expr)}\n`;
  });
  return `groups:\n  - name: dashboard\n    rules:\n${rules.join('')}`;
}

/** The family a sample name belongs to (a histogram's `_bucket`/`_sum`/`_count` included). */
function familyOf(m: Map<string, Family>, name: string): Family | undefined {
  const direct = m.get(name);
  if (direct) return direct;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name);
  const f = base ? m.get(base[1] ?? '') : undefined;
  return f && (f.type === 'histogram' || (f.type === 'summary' && base?.[2] !== 'bucket'))
    ? f
    : undefined;
}
