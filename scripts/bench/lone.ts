// (a) a lone small file: latency against one bare rsync of one file. With --logs the service runs
// at debug level and its per-run `stages:` lines are matched with the bench's own write and
// arrival times, so the milliseconds above the floor are shown stage by stage. Not a test.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  LOGS,
  QUICK,
  dropEnv,
  freshEnv,
  now,
  pct,
  rows,
  sleep,
  startSvc,
  until,
  type Workload,
} from './common.js';

/** Epoch ms, the clock of the service's `stages:` lines. */
const epochNow = (): number => performance.timeOrigin + performance.now();

/** The stages of one lone change, epoch ms: the bench's write and arrival, the service's stamps. */
interface Lone {
  writtenAt: number;
  arrivedAt: number;
  stamps?: Record<string, number>;
}

/** `stages:` lines of the service's log by their first path: stage -> epoch ms. */
function stageStamps(log: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const m of log.matchAll(/stages: (\S+) \(1 paths\): event at ([\d.]+), (.*) ms/g)) {
    const [, path = '', at = '', rest = ''] = m;
    const t0 = Number(at);
    const s: Record<string, number> = { event: t0 };
    for (const [, k = '', v = ''] of rest.matchAll(/(\w+) ([+-][\d.]+)/g)) s[k] = t0 + Number(v);
    out.set(path, s);
  }
  return out;
}

/** The median of each step between consecutive stages (the arrival at the target among them). */
function stageSummary(runs: Lone[]): string {
  const steps: [string, (r: Lone) => number | undefined][] = [
    [
      'write -> event reached the queue (kernel, reader thread, wake-up, filter)',
      (r) => sub(r.stamps?.['event'], r.writtenAt),
    ],
    [
      'event -> dispatched (quiet window, timer)',
      (r) => sub(r.stamps?.['dispatched'], r.stamps?.['event']),
    ],
    [
      'dispatched -> worker thread has the job',
      (r) => sub(r.stamps?.['worker'], r.stamps?.['dispatched']),
    ],
    ['worker -> spawn called', (r) => sub(r.stamps?.['spawn'], r.stamps?.['worker'])],
    [
      'spawn call (fork + exec, synchronous)',
      (r) => sub(r.stamps?.['spawned'], r.stamps?.['spawn']),
    ],
    ['spawned -> file at the target (rsync)', (r) => sub(r.arrivedAt, r.stamps?.['spawned'])],
    ['file at the target -> rsync closed', (r) => sub(r.stamps?.['closed'], r.arrivedAt)],
    [
      'closed -> settled on the main thread',
      (r) => sub(r.stamps?.['settled'], r.stamps?.['closed']),
    ],
  ];
  const lines = steps.map(([what, f]) => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return `${pct(xs, 50).toFixed(2).padStart(7)} ms (p90 ${pct(xs, 90).toFixed(2)})  ${what}`;
  });
  const matched = runs.filter((r) => r.stamps !== undefined).length;
  return `medians over ${matched} of ${runs.length} lone changes:\n${lines.join('\n')}\n`;
}
const sub = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a - b;

async function lone(label: string): Promise<void> {
  const traced = LOGS !== undefined && label === 'ours';
  const env = await freshEnv('a', undefined, traced);
  const n = QUICK ? 10 : 30;
  const floors: number[] = [];
  // The same bare rsync with the socket option the service adds to daemon runs (sync/argv.ts
  // NO_DELAY), interleaved: how much of the lead is the option and how much the service.
  const floorsNoDelay: number[] = [];
  writeFileSync(join(env.base, 'one.txt'), 'x'.repeat(100));
  const bare = (i: number, extra: string[]): number => {
    const t0 = now();
    spawnSync('rsync', [
      '-a',
      `--port=${env.daemon.port}`,
      ...extra,
      join(env.base, 'one.txt'),
      `127.0.0.1::bench/floor${i}.txt`,
    ]);
    return now() - t0;
  };
  for (let i = 0; i < n; i++) {
    floors.push(bare(i, []));
    floorsNoDelay.push(bare(i, ['--sockopts=TCP_NODELAY']));
  }
  rmSync(env.dst, { recursive: true, force: true });
  mkdirSync(env.dst);
  const svc = await startSvc(env, label);
  const lat: number[] = [];
  const runs: Lone[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    writeFileSync(join(env.src, `w${i}.txt`), 'x'.repeat(100));
    const writtenAt = epochNow();
    await until(
      () => {
        try {
          return statSync(join(env.dst, `w${i}.txt`)).size === 100;
        } catch {
          return false;
        }
      },
      10_000,
      'single file',
      1,
    );
    lat.push(now() - t0);
    runs.push({ writtenAt, arrivedAt: epochNow() });
    await sleep(200);
  }
  const stamps = stageStamps(svc.output());
  await svc.stop();
  runs.forEach((r, i) => {
    const s = stamps.get(`w${i}.txt`);
    if (s !== undefined) r.stamps = s;
  });
  const f50 = pct(floors, 50);
  const summary = traced ? stageSummary(runs) : '';
  if (traced && LOGS !== undefined) {
    writeFileSync(join(resolve(LOGS), 'stages-a.txt'), summary);
    process.stderr.write(
      `(a) where the time goes (${join(resolve(LOGS), 'stages-a.txt')}):\n${summary}`,
    );
  }
  rows.push({
    workload: 'a: single file p50',
    service: label,
    value: pct(lat, 50),
    unit: 'ms',
    floor: f50,
    ratio: pct(lat, 50) - f50,
    note: `ratio column = ms above floor${traced ? ' (service at debug level for --logs)' : ''}`,
  });
  rows.push({
    workload: 'a: single file p90',
    service: label,
    value: pct(lat, 90),
    unit: 'ms',
    floor: pct(floors, 90),
    ratio: pct(lat, 90) - pct(floors, 90),
    note: 'ratio column = ms above floor',
  });
  for (const q of [50, 90])
    rows.push({
      workload: `a: single file p${q}, floor with --sockopts=TCP_NODELAY`,
      service: label,
      value: pct(lat, q),
      unit: 'ms',
      floor: pct(floorsNoDelay, q),
      ratio: pct(lat, q) - pct(floorsNoDelay, q),
      note: 'ratio column = ms above a bare rsync -a with the socket option the service adds',
    });
  await dropEnv(env);
}

export const loneWorkloads: Record<string, Workload> = { a: lone };
