// (j) load during an outage (issue 14.5): /healthz latency and memory while the daemon is down. Not a test.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import {
  QUICK,
  bulkRsync,
  dropEnv,
  freshEnv,
  now,
  pct,
  rows,
  rssMb,
  sleep,
  startSvc,
  targetMatches,
  until,
  type Workload,
} from './common.js';

/**
 * GET /healthz every 100 ms from a worker thread (so the bench's own file writes and tree
 * listings cannot delay a poll): `stop()` gives the latencies (ms) of the answered polls, and how
 * many got no answer within 5 s.
 */
function pollHealthz(port: number): { stop(): Promise<{ lat: number[]; lost: number }> } {
  const code = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const lat = []; let lost = 0; let stopping = false;
const once = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = http.get({ host: '127.0.0.1', port: ${port}, path: '/healthz', timeout: 5000, agent: false }, (res) => {
    res.resume();
    res.on('end', () => { lat.push(performance.now() - t0); resolve(); });
  });
  req.on('timeout', () => { lost++; req.destroy(); });
  req.on('error', () => resolve());
});
(async () => {
  while (!stopping) {
    const t0 = performance.now();
    await once();
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t0))));
  }
  parentPort.postMessage({ lat, lost });
})();
parentPort.on('message', () => { stopping = true; });
`;
  const w = new Worker(code, { eval: true });
  return {
    stop: () =>
      new Promise((res) => {
        w.once('message', (m: { lat: number[]; lost: number }) => {
          void w.terminate();
          res(m);
        });
        w.postMessage('stop');
      }),
  };
}

/** Writes `perDir` files of `size` bytes into each of `dirs` existing dirs from a child process (the bench's loop stays free). */
async function writeFilesElsewhere(
  root: string,
  dirs: number,
  perDir: number,
  size: number,
): Promise<void> {
  const code = `const fs = require('node:fs'); const [root, dirs, per, size] = process.argv.slice(1);
const buf = Buffer.alloc(Number(size), 'x');
for (let d = 0; d < Number(dirs); d++) for (let f = 0; f < Number(per); f++) fs.writeFileSync(root + '/d' + d + '/f' + f, buf);`;
  const child = spawn(
    process.execPath,
    ['-e', code, root, String(dirs), String(perDir), String(size)],
    {
      stdio: 'inherit',
    },
  );
  const rc = await new Promise<number | null>((r) => child.once('exit', r));
  if (rc !== 0) throw new Error(`file writer exited ${rc}`);
}

/**
 * (j) Load during an outage (issue 14.5): the rsync daemon is down while 30,000 files change in
 * 30 existing dirs; GET /healthz is polled every 100 ms through the burst, the outage and the
 * recovery; RSS is sampled; then the daemon comes back on the same port.
 */
async function outageLoad(label: string): Promise<void> {
  const env = await freshEnv('j');
  const dirs = 30;
  const per = QUICK ? 100 : 1000;
  const size = 100;
  for (let d = 0; d < dirs; d++) mkdirSync(join(env.src, `d${d}`));
  // Floor: the same files written and pushed by one bulk rsync onto a target holding the dirs.
  bulkRsync(env);
  const tw0 = now();
  await writeFilesElsewhere(env.src, dirs, per, size);
  const writeFloor = now() - tw0;
  const bulkFloor = bulkRsync(env);
  for (let d = 0; d < dirs; d++) {
    rmSync(join(env.src, `d${d}`), { recursive: true });
    rmSync(join(env.dst, `d${d}`), { recursive: true });
    mkdirSync(join(env.src, `d${d}`));
  }
  bulkRsync(env);
  const svc = await startSvc(env, label);
  const idle = pollHealthz(env.statusPort);
  await sleep(2000);
  const idleLat = (await idle.stop()).lat;
  const poll = pollHealthz(env.statusPort);
  let rssMax = rssMb(svc.proc.pid);
  const rss0 = rssMax;
  const rssTimer = setInterval(() => {
    rssMax = Math.max(rssMax, rssMb(svc.proc.pid));
  }, 100);
  await env.daemon.stop();
  const t0 = now();
  await writeFilesElsewhere(env.src, dirs, per, size);
  const writtenMs = now() - t0;
  await sleep(3000);
  const converged = targetMatches(env.src, env.dst);
  await env.daemon.start();
  const tBack = now();
  const t1 = await until(converged, 300_000, 'outage load recovery', 100);
  const { lat, lost } = await poll.stop();
  clearInterval(rssTimer);
  await svc.stop();
  const idleMax = Math.max(...idleLat);
  const hzMax = lost > 0 ? Infinity : Math.max(...lat);
  const n = dirs * per;
  rows.push({
    workload: `j: /healthz max, daemon down while ${n} files change in ${dirs} dirs`,
    service: label,
    value: hzMax,
    unit: 'ms',
    floor: idleMax,
    ratio: hzMax / idleMax,
    note: `${lat.length} polls every 100 ms (p50 ${pct(lat, 50).toFixed(1)} ms), ${lost} unanswered in 5 s; floor = max of the idle service's polls; writes took ${writtenMs.toFixed(0)} ms, daemon back ${((tBack - t0) / 1000).toFixed(1)} s after the first write; goal < 1000 ms`,
  });
  rows.push({
    workload: `j: converged after the daemon is back (${n} files)`,
    service: label,
    value: t1 - tBack,
    unit: 'ms',
    floor: writeFloor + bulkFloor,
    ratio: (t1 - tBack) / (writeFloor + bulkFloor),
    note: `RSS ${rss0.toFixed(0)} MB before, peak ${rssMax.toFixed(0)} MB; floor = write ${writeFloor.toFixed(0)} + one bulk rsync ${bulkFloor.toFixed(0)} ms; goal < 15 s`,
  });
  await dropEnv(env);
}

/**
 * (k) `-r` with `<filter>` over 50 dirs x (100 kept + 2,000 excluded `*.tmp` files): the full
 * sync's exclude rules (sync/exclude-rules.ts) are one `/**.tmp` rule. (kk) the same tree with
 * a rule for `t<digits>.tmp` at any depth and a kept `keep.tmp` in each dir, so no suffix rule holds:
 * 100k literal rules.
 */

export const outageWorkloads: Record<string, Workload> = { j: outageLoad };
