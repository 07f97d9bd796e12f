// `npm run bench`: measures the service against its floors in the same run, on a loopback rsync
// daemon. Not a test: it prints a table and writes bench-results.json. See docs/performance.md.
//   node dist/scripts/bench.js [--only a,b,c] [--compare 'CMD -o {conf}'] [--json FILE] [--quick] [--logs DIR] [--profile DIR]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { confXml } from './lib/conf-xml.js';
import { freePort, startRsyncd, type Rsyncd } from './lib/rsyncd.js';
import { splitWords } from '../src/config/words.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '..', 'src', 'cli.js');
const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    compare: { type: 'string' },
    json: { type: 'string', default: 'bench-results.json' },
    quick: { type: 'boolean', default: false },
    // Writes the log of our service per workload, and its per-thread CPU for (b)/(b'), into this directory.
    logs: { type: 'string' },
    // As --logs, plus a V8 CPU profile per thread of our service (which slows it down).
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`usage: node dist/scripts/bench.js [options]
  --only a,b,bb,c,d,e,f,h,i,j,k,kk run some workloads (default: all; (g) is measured within b and bb)
  --compare 'CMD -o {conf}'   also run another sersync-compatible command on the same confxml.xml
  --json FILE                 where to write the results (default bench-results.json)
  --quick                     smaller sizes (a smoke run, not a measurement)
  --logs DIR                  keep our service's log per workload, and its per-thread CPU for b/bb
  --profile DIR               as --logs, plus V8 CPU profiles (slows the service down)
`);
  process.exit(0);
}
const LOGS = args.profile ?? args.logs;
if (LOGS !== undefined) mkdirSync(resolve(LOGS), { recursive: true });
const QUICK = args.quick;

interface Row {
  workload: string;
  service: string;
  value: number;
  unit: string;
  floor: number;
  ratio: number;
  runs?: number;
  note?: string;
}
const rows: Row[] = [];

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** (relpath -> size) of a tree, directories included. */
function listing(root: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(rel === '' ? root : join(root, rel), { withFileTypes: true });
    } catch {
      return; // a directory removed meanwhile
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.set(r, -1);
        walk(r);
        continue;
      }
      try {
        out.set(r, statSync(join(root, r)).size);
      } catch {
        // an rsync temp file renamed away meanwhile: not part of either tree
      }
    }
  };
  walk('');
  return out;
}
function sameTree(a: string, b: string): boolean {
  const la = listing(a);
  const lb = listing(b);
  if (la.size !== lb.size) return false;
  for (const [k, v] of la) if (lb.get(k) !== v) return false;
  return true;
}
/**
 * A convergence check for a source that no longer changes: the source is listed once, and each
 * poll first compares the target's names alone (readdir, no stat; stops at the first stranger),
 * then sizes only when every name is there. A full two-tree listing per 20 ms poll costs ~70 ms
 * of CPU for 5,000 files, which the measured service would have to share the 2 cores with.
 */
function targetMatches(
  src: string,
  dst: string,
  keep: (rel: string) => boolean = () => true,
): () => boolean {
  const want = new Map([...listing(src)].filter(([rel]) => keep(rel)));
  const namesMatch = (): boolean => {
    let count = 0;
    const walk = (rel: string): boolean => {
      let entries;
      try {
        entries = readdirSync(rel === '' ? dst : join(dst, rel), { withFileTypes: true });
      } catch {
        return false;
      }
      for (const e of entries) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        const size = want.get(r);
        if (size === undefined || (size === -1) !== e.isDirectory()) return false;
        count++;
        if (e.isDirectory() && !walk(r)) return false;
      }
      return true;
    };
    return walk('') && count === want.size;
  };
  return () => {
    if (!namesMatch()) return false;
    for (const [r, size] of want) {
      if (size === -1) continue;
      try {
        if (statSync(join(dst, r)).size !== size) return false;
      } catch {
        return false;
      }
    }
    return true;
  };
}
async function until(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  pollMs = 20,
): Promise<number> {
  const t0 = now();
  while (!check()) {
    if (now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
  return now();
}

interface Env {
  base: string;
  src: string;
  dst: string;
  daemon: Rsyncd;
  conf: string;
  statusPort: number;
}
async function freshEnv(name: string, excludes?: string[]): Promise<Env> {
  const base = join(tmpdir(), `sersync-bench-${process.pid}-${name}`);
  rmSync(base, { recursive: true, force: true });
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  mkdirSync(src, { recursive: true });
  mkdirSync(dst, { recursive: true });
  const daemon = await startRsyncd(join(base, 'rsyncd'), [{ name: 'bench', path: dst }]);
  const conf = join(base, 'confxml.xml');
  const statusPort = await freePort();
  writeFileSync(
    conf,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'bench' }] }],
      port: daemon.port,
      failLog: join(base, 'fail.sh'),
      timeoutSeconds: false,
      ...(excludes === undefined ? {} : { excludes }),
      // <host> too: sersync 2.5.4 (for --compare) crashes without it; ours serves /status there.
      statusPort,
    }),
  );
  return { base, src, dst, daemon, conf, statusPort };
}
async function dropEnv(env: Env): Promise<void> {
  await env.daemon.stop();
  rmSync(env.base, { recursive: true, force: true });
}

interface Svc {
  proc: ChildProcess;
  startedMs: number;
  stop(): Promise<void>;
}
async function startSvc(env: Env, label: string, extra: string[] = []): Promise<Svc> {
  const words = splitWords((args.compare ?? '').replaceAll('{conf}', env.conf));
  if (!words.ok) throw new Error(`--compare: ${words.error.message}`);
  const prof =
    args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`];
  const argv =
    label === 'ours' ? [process.execPath, ...prof, CLI, ...extra, '-o', env.conf] : words.value;
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw new Error('empty --compare command');
  const t0 = now();
  const proc = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], cwd: env.base });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // Ours logs "ready: watching"; another command: probe with a file until it reaches the target.
  if (label === 'ours')
    await until(
      () => /ready: watching /.test(out) || proc.exitCode !== null,
      120_000,
      'service start',
    );
  else {
    await sleep(500);
    writeFileSync(join(env.src, '.probe'), 'p');
    await until(() => sameTree(env.src, env.dst), 60_000, 'compare command start');
    rmSync(join(env.src, '.probe'));
    await until(() => sameTree(env.src, env.dst), 60_000, 'compare command probe delete');
  }
  if (proc.exitCode !== null) throw new Error(`service exited: ${out}`);
  const startedMs = now() - t0;
  return {
    proc,
    startedMs,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, sleep(5000).then(() => proc.kill('SIGKILL'))]);
      if (LOGS !== undefined && label === 'ours')
        writeFileSync(join(resolve(LOGS), `service-${basename(env.base)}.log`), out);
    },
  };
}
/** A /proc stat file's name and its utime and stime in seconds. */
function statCpu(file: string): { name: string; user: number; sys: number } {
  const raw = readFileSync(file, 'utf8');
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return {
    name: raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')),
    user: Number(f[11]) / 100,
    sys: Number(f[12]) / 100,
  };
}
/** utime and stime in seconds: this process and its threads only (rsync children are not in them). */
function cpuSeconds(pid: number | undefined): { user: number; sys: number } {
  return pid === undefined ? { user: NaN, sys: NaN } : statCpu(`/proc/${pid}/stat`);
}
/** CPU seconds per thread of `pid` (name from /proc: sersync-inotify is the reader, others are node's). */
function threadCpu(pid: number | undefined): Map<string, { name: string; cpu: number }> {
  const out = new Map<string, { name: string; cpu: number }>();
  if (pid === undefined) return out;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = statCpu(`/proc/${pid}/task/${t}/stat`);
      out.set(t, { name: s.name, cpu: s.user + s.sys });
    } catch {
      // the thread ended
    }
  }
  return out;
}
function threadReport(
  before: Map<string, { name: string; cpu: number }>,
  after: Map<string, { name: string; cpu: number }>,
): string {
  return (
    [...after]
      .map(([tid, t]) => `${tid} ${t.name} ${(t.cpu - (before.get(tid)?.cpu ?? 0)).toFixed(2)} s`)
      .join('\n') + '\n'
  );
}
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function bulkRsync(env: Env, extra: string[] = []): number {
  const t0 = now();
  const r = spawnSync(
    'rsync',
    ['-a', ...extra, `--port=${env.daemon.port}`, './', '127.0.0.1::bench/'],
    { cwd: env.src },
  );
  if (r.status !== 0) throw new Error(`bulk rsync failed: ${r.stderr.toString()}`);
  return now() - t0;
}
function writeFiles(
  root: string,
  dirs: number,
  perDir: number,
  size: number,
  mkdirs: boolean,
  prefix = 'f',
): void {
  const buf = Buffer.alloc(size, 'x');
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${d}`);
    if (mkdirs) mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) writeFileSync(join(dir, `${prefix}${f}`), buf);
  }
}

type Workload = (label: string) => Promise<void>;
const W: Record<string, Workload> = {
  async a(label) {
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
  },
  async b(label) {
    await burst(label, `b: ${QUICK ? 1000 : 5000} files, 50 existing dirs`, false);
  },
  async bb(label) {
    await burst(label, `b': ${QUICK ? 1000 : 5000} files, 50 new dirs`, true);
  },
  async c(label) {
    const env = await freshEnv('c');
    const count = QUICK ? 3 : 10;
    const big = Buffer.alloc(20 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const tw0 = now();
    for (let i = 0; i < count; i++) writeFileSync(join(env.src, `big${i}`), big);
    const writeMs = now() - tw0;
    const floor = writeMs + bulkRsync(env);
    rmSync(env.src, { recursive: true });
    mkdirSync(env.src);
    rmSync(env.dst, { recursive: true });
    mkdirSync(env.dst);
    const svc = await startSvc(env, label);
    const r0 = env.daemon.connections();
    const t0 = now();
    for (let i = 0; i < count; i++) writeFileSync(join(env.src, `big${i}`), big);
    const t1 = await until(targetMatches(env.src, env.dst), 300_000, 'big files');
    await svc.stop();
    rows.push({
      workload: `c: ${count} x 20 MiB`,
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor,
      ratio: (t1 - t0) / floor,
      runs: env.daemon.connections() - r0,
    });
    await dropEnv(env);
  },
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
  j: outageLoad,
  k: (label) => excludedFullSync(label, 'k', false),
  kk: (label) => excludedFullSync(label, 'kk', true),
};

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
async function excludedFullSync(label: string, name: string, literal: boolean): Promise<void> {
  const env = await freshEnv(name, [literal ? '(.*/)?t[0-9]+\\.tmp' : '(.*)\\.tmp']);
  const dirs = QUICK ? 10 : 50;
  const excludedPer = QUICK ? 200 : 2000;
  writeFiles(env.src, dirs, 100, 16, true);
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < excludedPer; f++) writeFileSync(join(env.src, `d${d}`, `t${f}.tmp`), 'x');
    if (literal) writeFileSync(join(env.src, `d${d}`, 'keep.tmp'), 'k');
  }
  const clean = (): void => {
    rmSync(env.dst, { recursive: true, force: true });
    mkdirSync(env.dst);
  };
  const floor = bulkRsync(env); // the same tree, no rules: every file sent
  clean();
  const oneGlob = bulkRsync(env, ['--exclude=t*.tmp']);
  clean();
  const keep = (rel: string): boolean => !/(^|\/)t\d+\.tmp$/.test(rel);
  const converged = targetMatches(env.src, env.dst, keep);
  const t0 = now();
  const svc = await startSvc(env, label, ['-r']);
  const t1 = await until(converged, 900_000, `${name} full sync`);
  await svc.stop();
  const excluded = dirs * excludedPer;
  rows.push({
    workload: `${name}: -r, ${dirs * 100} kept + ${excluded} excluded files${literal ? ' (literal rules)' : ''}`,
    service: label,
    value: t1 - t0,
    unit: 'ms',
    floor,
    ratio: (t1 - t0) / floor,
    note: `from exec to target == kept; floor = rsync -a of the same tree, no rules; one glob --exclude: ${oneGlob.toFixed(0)} ms`,
  });
  await dropEnv(env);
}

async function burst(label: string, name: string, newDirs: boolean): Promise<void> {
  const env = await freshEnv(newDirs ? 'bb' : 'b');
  const dirs = 50;
  const per = QUICK ? 20 : 100;
  if (!newDirs) for (let d = 0; d < dirs; d++) mkdirSync(join(env.src, `d${d}`));
  const tw0 = now();
  writeFiles(env.src, dirs, per, 1024, newDirs);
  const writeMs = now() - tw0;
  const bulkMs = bulkRsync(env);
  const floor = writeMs + bulkMs;
  rmSync(env.src, { recursive: true });
  mkdirSync(env.src);
  rmSync(env.dst, { recursive: true });
  mkdirSync(env.dst);
  if (!newDirs) {
    for (let d = 0; d < dirs; d++) mkdirSync(join(env.src, `d${d}`));
    bulkRsync(env);
  }
  const svc = await startSvc(env, label);
  const measure = async (rowName: string, prefix: string, first: boolean): Promise<void> => {
    const cpu0 = cpuSeconds(svc.proc.pid);
    const threads0 = threadCpu(svc.proc.pid);
    const r0 = env.daemon.connections();
    const t0 = now();
    writeFiles(env.src, dirs, per, 1024, newDirs && first, prefix);
    const writtenMs = now() - t0;
    const t1 = await until(targetMatches(env.src, env.dst), 600_000, rowName);
    const cpu1 = cpuSeconds(svc.proc.pid);
    if (LOGS !== undefined)
      writeFileSync(
        join(resolve(LOGS), `threads-${basename(env.base)}-${prefix}.txt`),
        threadReport(threads0, threadCpu(svc.proc.pid)),
      );
    const user = cpu1.user - cpu0.user;
    const sys = cpu1.sys - cpu0.sys;
    // The floor was measured for the first burst's conditions (new files, cold caches): no ratio for the second.
    rows.push({
      workload: rowName,
      service: label,
      value: t1 - t0,
      unit: 'ms',
      floor: first ? floor : NaN,
      ratio: first ? (t1 - t0) / floor : NaN,
      runs: env.daemon.connections() - r0,
      note: `service CPU ${(user + sys).toFixed(2)} s (g: user ${user.toFixed(2)} + sys ${sys.toFixed(2)}); ${first ? `floor = write ${writeMs.toFixed(0)} + bulk ${bulkMs.toFixed(0)} ms; ` : ''}writes with the service running took ${writtenMs.toFixed(0)} ms`,
    });
  };
  await measure(name, 'f', true);
  // The same burst again, other names, same service: what a daemon that has run before pays (its
  // JavaScript compiled and optimized; the first burst after start includes that one-time cost).
  if (!newDirs) await measure(`${name}, second burst`, 'g', false);
  await svc.stop();
  await dropEnv(env);
}

async function main(): Promise<void> {
  const selected = args.only ? args.only.split(',') : Object.keys(W);
  const labels = args.compare ? ['ours', 'compare'] : ['ours'];
  for (const key of selected) {
    const w = W[key];
    if (!w) throw new Error(`unknown workload ${key} (known: ${Object.keys(W).join(', ')})`);
    for (const label of labels) {
      process.stderr.write(`running ${key} (${label})…\n`);
      await w(label);
    }
  }
  const fmt = (n: number): string =>
    Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : '-';
  console.log(
    '\n| workload | service | value | floor | ratio | rsync runs | note |\n|---|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.workload} | ${r.service} | ${fmt(r.value)} ${r.unit} | ${fmt(r.floor)} ms | ${fmt(r.ratio)} | ${r.runs ?? '-'} | ${r.note ?? ''} |`,
    );
  writeFileSync(
    args.json,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
