// The memory rows of `npm run bench` (issue 16; docs/performance.md "Memory"). Each figure is the
// resident memory of the service (VmRSS/VmHWM of its process: the main thread, the worker threads
// and native buffers are all in it; rsync children are other processes and are not counted)
// against a bare `node -e` measured in the same run. Workloads: m (idle on a small tree, the cost
// of a worker thread, the first change after idle), mb (peak through a 5,000-file burst; mbs: the
// same with a 1 MB young generation for the main thread), mw
// (watching 200k files), mi (what importing each dependency costs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bareNodeMb,
  bareRsyncMs,
  dropEnv,
  freshEnv,
  mainHeap,
  makeTree,
  oneChange,
  procMem,
  startOurs,
} from './memory-probe.js';
import { now, sleep, type Row } from './common.js';

/** A row of bench.ts's table. */
export type MemoryRow = Row;
export interface MemoryBenchContext {
  readonly rows: MemoryRow[];
  readonly quick: boolean;
  /** The service's entry (default: dist/src/cli.js beside this bench). */
  readonly cli?: string;
}
type Workload = (label: string) => Promise<void>;
type Ctx = MemoryBenchContext & { readonly cli: string };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const mb = (n: number): string => n.toFixed(1);

const IDLE_MS = 1000; // SERSYNC_POOL_IDLE_MS for m: the worker goes after 1 s (default 60 s)

function idleWorkload(ctx: Ctx): Workload {
  return async (label) => {
    if (label !== 'ours') return; // our service only
    const floor = await bareNodeMb();
    const env = await freshEnv('m');
    makeTree(env.src, 10, 10);
    const floors = [0, 1, 2, 3, 4].map((i) => bareRsyncMs(env, i));
    const svc = await startOurs(ctx.cli, env, { SERSYNC_POOL_IDLE_MS: String(IDLE_MS) });
    await sleep(1500);
    const idle = procMem(svc.pid);
    const heap = await mainHeap(env.statusPort);
    const row = (workload: string, value: number, f: number, note: string, unit = 'MB'): void => {
      const ratio = unit === 'MB' ? value / f : value - f;
      ctx.rows.push({ workload, service: label, value, unit, floor: f, ratio, note });
    };
    row(
      'm: idle, 100 files',
      idle.rss,
      floor,
      `VmHWM ${mb(idle.hwm)} MB (start-up peak); main V8 heap ${mb(heap.used)} used / ${mb(heap.total)} MB, external ${mb(heap.ext)} MB; ${idle.threads} threads, no worker thread; floor = bare node -e`,
    );
    const cold: number[] = [];
    const warm: number[] = [];
    for (let round = 0; round < (ctx.quick ? 2 : 5); round++) {
      if (round > 0) await sleep(IDLE_MS + 1500); // the worker thread exits meanwhile
      cold.push(await oneChange(env, `cold${round}.txt`));
      for (let i = 0; i < 3; i++) {
        await sleep(100);
        warm.push(await oneChange(env, `warm${round}-${i}.txt`));
      }
    }
    // A lone change runs on the main thread (pool.ts runsInline): 300 files at once reach a worker.
    makeTree(join(env.src, 'many'), 3, 100);
    const many = await oneChange(env, 'after-many.txt');
    const withWorker = procMem(svc.pid);
    await sleep(IDLE_MS + 1500);
    const idleAgain = procMem(svc.pid);
    await svc.stop();
    await dropEnv(env);
    row(
      'm: one worker thread',
      withWorker.rss - idle.rss,
      floor,
      `RSS ${mb(withWorker.rss)} MB after 300 files at once (${withWorker.threads} threads; ${many.toFixed(0)} ms for a change behind them), ${mb(idle.rss)} MB before, ${mb(idleAgain.rss)} MB (${idleAgain.threads} threads) once idle again; ratio = share of a bare node`,
    );
    const f50 = median(floors);
    row(
      'm: first change after idle, p50',
      median(cold),
      f50,
      `after the worker thread exited (idle ${IDLE_MS} ms, env SERSYNC_POOL_IDLE_MS; default 60 s; a lone change runs inline); warm p50 ${median(warm).toFixed(1)} ms; ${cold.length} cold, ${warm.length} warm; floor = one bare rsync p50; ratio = ms above floor`,
      'ms',
    );
  };
}

/** utime + stime of a process in seconds (its threads included, its children not). */
function cpuSeconds(pid: number): number {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The main heap at its largest and the most threads, sampled every 100 ms until stop(). */
function sampleWhile(pid: number, port: number, threads: number) {
  let heap = { used: 0, total: 0, ext: 0 };
  let maxThreads = threads;
  const on = { value: true };
  const done = (async () => {
    while (on.value) {
      const h = await mainHeap(port).catch(() => heap);
      if (h.total > heap.total) heap = h;
      maxThreads = Math.max(maxThreads, procMem(pid).threads);
      await sleep(100);
    }
  })();
  return async () => {
    on.value = false;
    await done;
    return { heap, maxThreads };
  };
}

/** 5,000 × 1 KiB into 50 existing directories; `nodeOptions`: NODE_OPTIONS of the service. */
function burstWorkload(ctx: Ctx, nodeOptions?: string): Workload {
  return async (label) => {
    if (label !== 'ours') return; // our service only
    const floor = await bareNodeMb();
    const env = await freshEnv('mb');
    const dirs = 50;
    const per = ctx.quick ? 20 : 100;
    for (let d = 0; d < dirs; d++) mkdirSync(join(env.src, `d${d}`));
    const svc = await startOurs(ctx.cli, env, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
    const before = procMem(svc.pid);
    const cpu0 = cpuSeconds(svc.pid);
    const stop = sampleWhile(svc.pid, env.statusPort, before.threads);
    const buf = Buffer.alloc(1024, 'x');
    for (let d = 0; d < dirs; d++)
      for (let f = 0; f < per; f++) writeFileSync(join(env.src, `d${d}`, `f${f}`), buf);
    const total = dirs * per;
    const inDir = (d: number): number => {
      try {
        return readdirSync(join(env.dst, `d${d}`)).length;
      } catch {
        return 0; // not synced yet
      }
    };
    const count = (): number =>
      Array.from({ length: dirs }, (_, d) => inDir(d)).reduce((a, b) => a + b, 0);
    const t0 = now();
    while (count() < total) {
      if (now() - t0 > 600_000) throw new Error('burst did not converge');
      await sleep(50);
    }
    const { heap, maxThreads } = await stop();
    const after = procMem(svc.pid);
    const cpu = cpuSeconds(svc.pid) - cpu0;
    await svc.stop();
    await dropEnv(env);
    ctx.rows.push({
      workload: `mb: peak RSS, ${total} files burst${nodeOptions ? ` (NODE_OPTIONS=${nodeOptions})` : ''}`,
      service: label,
      value: after.hwm,
      unit: 'MB',
      floor,
      ratio: after.hwm / floor,
      note: `VmHWM; RSS ${mb(before.rss)} MB before, ${mb(after.rss)} after; main V8 heap at its largest ${mb(heap.used)} used / ${mb(heap.total)} MB; up to ${maxThreads} threads (${maxThreads - before.threads} above idle: worker threads, or the native spawner's waitpid thread per running rsync); service CPU ${cpu.toFixed(2)} s; goal 60 MB; floor = bare node -e`,
    });
  };
}

function watchWorkload(ctx: Ctx): Workload {
  return async (label) => {
    if (label !== 'ours') return; // our service only
    const floor = await bareNodeMb();
    const env = await freshEnv('mw');
    // 100 files a directory: creating 20,000 directories of 10 takes minutes on a slow disk.
    const dirs = ctx.quick ? 200 : 2_000;
    makeTree(env.src, dirs, 100);
    const t0 = now();
    const svc = await startOurs(ctx.cli, env);
    const readyMs = now() - t0;
    await sleep(1000);
    const m = procMem(svc.pid);
    const heap = await mainHeap(env.statusPort);
    await svc.stop();
    await dropEnv(env);
    ctx.rows.push({
      workload: `mw: watching ${dirs * 100} files in ${dirs} dirs`,
      service: label,
      value: m.hwm,
      unit: 'MB',
      floor,
      ratio: m.hwm / floor,
      note: `VmHWM; RSS ${mb(m.rss)} MB once watching (ready after ${(readyMs / 1000).toFixed(1)} s); main V8 heap ${mb(heap.used)} used / ${mb(heap.total)} MB; goal 100 MB; floor = bare node -e`,
    });
  };
}

/** What each dependency adds to a bare node's RSS when imported, in order (a fresh node each run). */
function importsWorkload(ctx: Ctx): Workload {
  const root = resolve(ctx.cli, '..', '..', '..');
  const script = `import { readFileSync } from 'node:fs';
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const out = {}; let r = rss(); out.base = r;
for (const m of process.argv.slice(1)) { await import(m); const r1 = rss(); out[m] = r1 - r; r = r1; }
out.total = r; console.log(JSON.stringify(out));`;
  const run = (list: string[]): Record<string, number> => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...list], {
      cwd: root,
    });
    return JSON.parse(r.stdout.toString()) as Record<string, number>;
  };
  // The runtime dependencies in package.json, but node-addon-api (headers for the native build).
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const deps = Object.keys(pkg.dependencies ?? {}).filter((m) => m !== 'node-addon-api');
  const ours = ['daemon.js', 'cli-args.js'].map((f) => `${root}/dist/src/${f}`);
  return (label) => {
    if (label !== 'ours') return Promise.resolve(); // our service only
    const alone = deps.map((m) => `${m} +${mb(run([m])[m] ?? NaN)}`).join(', ');
    const all = run([...deps, ...ours]);
    const seq = Object.entries(all)
      .filter(([k]) => k !== 'base' && k !== 'total')
      .map(([k, v]) => `${k.replace(`${root}/`, '')} +${mb(v)}`);
    const base = all['base'] ?? NaN;
    const value = (all['total'] ?? NaN) - base;
    ctx.rows.push({
      workload: 'mi: importing every module of the service',
      service: label,
      value,
      unit: 'MB',
      floor: base,
      ratio: value / base,
      note: `RSS above a bare node (the floor); in order: ${seq.join(', ')}; each alone into a bare node: ${alone}`,
    });
    return Promise.resolve();
  };
}

/** The memory workloads, by --only key. */
export function memoryWorkloads(given: MemoryBenchContext): Record<string, Workload> {
  const cli = given.cli ?? fileURLToPath(new URL('../../src/cli.js', import.meta.url));
  const ctx = { ...given, cli };
  return {
    m: idleWorkload(ctx),
    mb: burstWorkload(ctx),
    // The same with a small young generation for the main thread (1 MB semi-spaces).
    mbs: burstWorkload(ctx, '--max-semi-space-size=1'),
    mw: watchWorkload(ctx),
    mi: importsWorkload(ctx),
  };
}
