// The probes of the memory bench (scripts/bench/memory.ts): a process's memory from /proc, a bare
// node's, our service started and stopped, one change timed to the target (the loopback rsync
// daemon and its confxml.xml are common.ts's freshEnv).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { now, sleep, type Env } from './common.js';

export { dropEnv, freshEnv, type Env } from './common.js';

/** VmRSS, VmHWM (MB) and the thread count of one process. */
export function procMem(pid: number): { rss: number; hwm: number; threads: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, threads: kb('Threads') };
}

/** RSS of a bare `node -e` that only waits, once it runs: the floor of every memory row. */
export async function bareNodeMb(): Promise<number> {
  const p = spawn(process.execPath, ['-e', 'console.log(1); setInterval(() => {}, 1000)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => p.stdout.once('data', r)); // booted (slow on a loaded machine)
  await sleep(300);
  const m = procMem(p.pid ?? -1);
  p.kill();
  await new Promise((r) => p.once('exit', r));
  return m.rss;
}

export function makeTree(root: string, dirs: number, perDir: number): void {
  const buf = Buffer.alloc(100, 'x');
  for (let d = 0; d < dirs; d++) {
    mkdirSync(join(root, `d${d}`), { recursive: true });
    for (let f = 0; f < perDir; f++) writeFileSync(join(root, `d${d}`, `f${f}`), buf);
  }
}

/** Our service on `env`, started as `npm start` does (no extra node flags), ready. */
export async function startOurs(
  cli: string,
  env: Env,
  extraEnv: Record<string, string> = {},
): Promise<{ proc: ChildProcess; pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [cli, '-o', env.conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: env.base,
    env: { ...process.env, ...extraEnv },
  });
  let out = '';
  const add = (d: Buffer): void => {
    out += d.toString();
  };
  proc.stdout.on('data', add);
  proc.stderr.on('data', add);
  const t0 = now();
  while (!/ready: watching /.test(out)) {
    if (proc.exitCode !== null || now() - t0 > 600_000) throw new Error(`service: ${out}`);
    await sleep(20);
  }
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([done, sleep(5000).then(() => proc.kill('SIGKILL'))]);
  };
  return { proc, pid: proc.pid ?? -1, stop };
}

/** The main thread's V8 heap (used/total) and external memory in MB, from /metrics. */
export async function mainHeap(
  port: number,
): Promise<{ used: number; total: number; ext: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576;
  return {
    used: get('nodejs_heap_size_used_bytes'),
    total: get('nodejs_heap_size_total_bytes'),
    ext: get('nodejs_external_memory_bytes'),
  };
}

/** Writes `name` (100 bytes) into src and returns the ms until the target has it. */
export async function oneChange(env: Env, name: string): Promise<number> {
  const t0 = now();
  writeFileSync(join(env.src, name), 'x'.repeat(100));
  for (;;) {
    try {
      if (statSync(join(env.dst, name)).size === 100) return now() - t0;
    } catch {
      // not there yet
    }
    if (now() - t0 > 10_000) throw new Error(`timed out waiting for ${name}`);
    await sleep(1);
  }
}

/** One bare rsync of one small file to the same daemon (the latency floor), ms. */
export function bareRsyncMs(env: Env, i: number): number {
  writeFileSync(join(env.base, 'one.txt'), 'x'.repeat(100));
  const t0 = now();
  spawnSync('rsync', [
    '-a',
    `--port=${env.daemon.port}`,
    join(env.base, 'one.txt'),
    `127.0.0.1::bench/floor${i}.txt`,
  ]);
  return now() - t0;
}
