// (a) a lone small file: latency against one bare rsync of one file. Not a test.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
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

async function lone(label: string): Promise<void> {
  const env = await freshEnv('a');
  const n = QUICK ? 10 : 30;
  const floors: number[] = [];
  writeFileSync(join(env.base, 'one.txt'), 'x'.repeat(100));
  for (let i = 0; i < n; i++) {
    const t0 = now();
    spawnSync('rsync', [
      '-a',
      `--port=${env.daemon.port}`,
      join(env.base, 'one.txt'),
      `127.0.0.1::bench/floor${i}.txt`,
    ]);
    floors.push(now() - t0);
  }
  rmSync(env.dst, { recursive: true, force: true });
  mkdirSync(env.dst);
  const svc = await startSvc(env, label);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    writeFileSync(join(env.src, `w${i}.txt`), 'x'.repeat(100));
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
    await sleep(200);
  }
  await svc.stop();
  const f50 = pct(floors, 50);
  rows.push({
    workload: 'a: single file p50',
    service: label,
    value: pct(lat, 50),
    unit: 'ms',
    floor: f50,
    ratio: pct(lat, 50) - f50,
    note: 'ratio column = ms above floor',
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
  await dropEnv(env);
}

export const loneWorkloads: Record<string, Workload> = { a: lone };
