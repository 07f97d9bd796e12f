// (d) rm -rf, (e) a directory rename, (f) start on a big tree, (h) restart catch-up, (i) a short
// daemon outage. Not a test.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  QUICK,
  type Workload,
  bulkRsync,
  dropEnv,
  freshEnv,
  now,
  rows,
  rssMb,
  sleep,
  startSvc,
  targetMatches,
  until,
  writeFiles,
} from './common.js';

export const treeWorkloads: Record<string, Workload> = {
  async d(label) {
    // Floor: the rm -rf itself plus one bulk --delete run, as (b) counts the writes.
    const env = await freshEnv('d');
    const per = QUICK ? 500 : 2000;
    writeFiles(env.src, 2, per, 100, true);
    bulkRsync(env);
    const tr0 = now();
    rmSync(join(env.src, 'd0'), { recursive: true });
    rmSync(join(env.src, 'd1'), { recursive: true });
    const floor = now() - tr0 + bulkRsync(env, ['--delete']);
    writeFiles(env.src, 2, per, 100, true);
    bulkRsync(env);
    const svc = await startSvc(env, label);
    const r0 = env.daemon.connections();
    const t0 = now();
    rmSync(join(env.src, 'd0'), { recursive: true });
    rmSync(join(env.src, 'd1'), { recursive: true });
    const t1 = await until(targetMatches(env.src, env.dst), 120_000, 'rm -rf');
    await svc.stop();
    rows.push({
      workload: 'd: rm -rf 4000 files in 2 dirs',
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor,
      ratio: (t1 - t0) / floor,
      runs: env.daemon.connections() - r0,
      note: 'floor = the rm itself + one bulk --delete run',
    });
    await dropEnv(env);
  },
  async e(label) {
    const env = await freshEnv('e');
    mkdirSync(join(env.src, 'old'));
    const buf = Buffer.alloc(4096, 'y');
    for (let i = 0; i < (QUICK ? 500 : 2000); i++)
      writeFileSync(join(env.src, 'old', `f${i}`), buf);
    bulkRsync(env);
    const svc = await startSvc(env, label);
    const r0 = env.daemon.connections();
    const b0 = env.daemon.receivedBytes();
    const t0 = now();
    renameSync(join(env.src, 'old'), join(env.src, 'new'));
    const t1 = await until(targetMatches(env.src, env.dst), 120_000, 'dir rename');
    await svc.stop();
    const received = env.daemon.receivedBytes() - b0;
    const floor = bulkRsync(env);
    const data = (QUICK ? 500 : 2000) * buf.length;
    rows.push({
      workload: 'e: rename a 2000-file dir',
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor,
      ratio: (t1 - t0) / floor,
      runs: env.daemon.connections() - r0,
      note: `floor = a no-change bulk rsync; the target received ${(received / 1024).toFixed(0)} KiB for ${(data / 1024).toFixed(0)} KiB of file data`,
    });
    await dropEnv(env);
  },
  async f(label) {
    const env = await freshEnv('f');
    const dirs = QUICK ? 2000 : 20_000;
    for (let d = 0; d < dirs; d++) {
      const dir = join(env.src, `a${d % 20}`, `b${d}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 10; i++) writeFileSync(join(dir, `file${i}.txt`), '');
    }
    const svc = await startSvc(env, label);
    const rss = rssMb(svc.proc.pid);
    await svc.stop();
    rows.push({
      workload: `f: start watching ${dirs} dirs / ${dirs * 10} files`,
      service: label,
      value: svc.startedMs,
      unit: 'ms',
      floor: 2000,
      ratio: svc.startedMs / 2000,
      note: `RSS ${rss.toFixed(0)} MB; floor = the 2 s goal`,
    });
    await dropEnv(env);
  },
  async h(label) {
    // Catch-up after downtime (issue 4): a tree of 20k dirs / 200k files; the service ran before,
    // 20 files change while it is stopped; a restart without -r brings the target back.
    const env = await freshEnv('h');
    const dirs = QUICK ? 2000 : 20_000;
    for (let d = 0; d < dirs; d++) {
      const dir = join(env.src, `a${d % 20}`, `b${d}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 10; i++) writeFileSync(join(dir, `file${i}.txt`), 'x');
    }
    bulkRsync(env);
    const floor = bulkRsync(env); // a no-change pass over the whole tree: what the catch-up costs at least
    await (await startSvc(env, label)).stop(); // first run: leaves the state behind
    for (let i = 0; i < 20; i++)
      writeFileSync(join(env.src, `a${i % 20}`, `b${i}`, `changed${i}.txt`), 'while down');
    const converged = targetMatches(env.src, env.dst); // the source is final: list it before the clock starts
    const t0 = now();
    const svc = await startSvc(env, label);
    const t1 = await until(converged, 300_000, 'catch-up');
    await svc.stop();
    rows.push({
      workload: `h: restart catch-up, ${dirs * 10} files`,
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor,
      ratio: (t1 - t0) / floor,
      note: 'from exec to target == source; floor = one no-change rsync -a of the tree',
    });
    await dropEnv(env);
  },
  async i(label) {
    // Outage (issue 4): the rsync daemon is down for 3 s while 1,000 files change.
    const env = await freshEnv('i');
    const svc = await startSvc(env, label);
    await env.daemon.stop();
    writeFiles(env.src, 10, 100, 1024, true);
    await sleep(3000);
    const converged = targetMatches(env.src, env.dst);
    await env.daemon.start();
    const t0 = now();
    const t1 = await until(converged, 300_000, 'outage recovery');
    await svc.stop();
    rows.push({
      workload: 'i: 1000 changes during a 3 s outage',
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor: 60_000,
      ratio: (t1 - t0) / 60_000,
      note: 'from daemon back to target == source; floor = the 60 s retry cap',
    });
    await dropEnv(env);
  },
};
