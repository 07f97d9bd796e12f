// The bench's shared helpers: options, result rows, tree listings and convergence checks, the
// loopback rsync daemon and the service under test, CPU and memory readings. Not a test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { confXml } from '../lib/conf-xml.js';
import { freePort, startRsyncd, type Rsyncd } from '../lib/rsyncd.js';
import { splitWords } from '../../src/config/words.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '..', '..', 'src', 'cli.js');
export const { values: args } = parseArgs({
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
export const LOGS = args.profile ?? args.logs;
if (LOGS !== undefined) mkdirSync(resolve(LOGS), { recursive: true });
export const QUICK = args.quick;

export interface Row {
  workload: string;
  service: string;
  value: number;
  unit: string;
  floor: number;
  ratio: number;
  runs?: number;
  note?: string;
}
export const rows: Row[] = [];

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** (relpath -> size) of a tree, directories included. */
export function listing(root: string): Map<string, number> {
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
export function sameTree(a: string, b: string): boolean {
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
export function targetMatches(
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
export async function until(
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

export interface Env {
  base: string;
  src: string;
  dst: string;
  daemon: Rsyncd;
  conf: string;
  statusPort: number;
}
/** `debug`: the service logs at debug level (its per-run stage timings among them). */
export async function freshEnv(name: string, excludes?: string[], debug = false): Promise<Env> {
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
      debug,
      // <host> too: sersync 2.5.4 (for --compare) crashes without it; ours serves /status there.
      statusPort,
    }),
  );
  return { base, src, dst, daemon, conf, statusPort };
}
export async function dropEnv(env: Env): Promise<void> {
  await env.daemon.stop();
  rmSync(env.base, { recursive: true, force: true });
}

export interface Svc {
  proc: ChildProcess;
  startedMs: number;
  /** What the service wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}
export async function startSvc(env: Env, label: string, extra: string[] = []): Promise<Svc> {
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
    output: () => out,
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
export function statCpu(file: string): { name: string; user: number; sys: number } {
  const raw = readFileSync(file, 'utf8');
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return {
    name: raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')),
    user: Number(f[11]) / 100,
    sys: Number(f[12]) / 100,
  };
}
/** utime and stime in seconds: this process and its threads only (rsync children are not in them). */
export function cpuSeconds(pid: number | undefined): { user: number; sys: number } {
  return pid === undefined ? { user: NaN, sys: NaN } : statCpu(`/proc/${pid}/stat`);
}
/** CPU seconds per thread of `pid` (name from /proc: sersync-inotify is the reader, others are node's). */
export function threadCpu(pid: number | undefined): Map<string, { name: string; cpu: number }> {
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
export function threadReport(
  before: Map<string, { name: string; cpu: number }>,
  after: Map<string, { name: string; cpu: number }>,
): string {
  return (
    [...after]
      .map(([tid, t]) => `${tid} ${t.name} ${(t.cpu - (before.get(tid)?.cpu ?? 0)).toFixed(2)} s`)
      .join('\n') + '\n'
  );
}
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
export function bulkRsync(env: Env, extra: string[] = []): number {
  const t0 = now();
  const r = spawnSync(
    'rsync',
    ['-a', ...extra, `--port=${env.daemon.port}`, './', '127.0.0.1::bench/'],
    { cwd: env.src },
  );
  if (r.status !== 0) throw new Error(`bulk rsync failed: ${r.stderr.toString()}`);
  return now() - t0;
}
export function writeFiles(
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

export type Workload = (label: string) => Promise<void>;
