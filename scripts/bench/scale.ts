// (scale) 1,000,000 files in 100,000 directories (--quick: 100,000 in 10,000): time from exec to
// "ready: watching" against the floor of one `find ROOT -type d` of the same (warm) tree, and the
// service's peak RSS (VmHWM) by then against a bare `node -e`. Then one file written into the
// tree must arrive at the target (it is watching). The tree is built once under the temp
// directory and reused by later runs (building it takes about a minute); it is not in the default
// run: `--only scale`. fs.inotify.max_user_watches is raised for the run when it is below what the
// tree needs (we are root here) and put back afterwards. Ours only. Not a test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confXml } from '../lib/conf-xml.js';
import {
  QUICK,
  dropEnv,
  freshEnv,
  now,
  rows,
  rssMb,
  startSvc,
  until,
  type Workload,
} from './common.js';

const WATCHES = '/proc/sys/fs/inotify/max_user_watches';

/** Top directories x leaf directories x files per leaf. */
const SHAPE = QUICK
  ? { tops: 10, leaves: 1000, files: 10 }
  : { tops: 100, leaves: 1000, files: 10 };

/** The reusable tree (built once; `<tree>.complete` says it is whole). */
function tree(): string {
  const files = SHAPE.tops * SHAPE.leaves * SHAPE.files;
  const root = join(tmpdir(), `sersync-bench-scale-${files}`);
  if (existsSync(`${root}.complete`)) return root;
  process.stderr.write(
    `scale: building ${files} files in ${SHAPE.tops * SHAPE.leaves} directories under ${root} (once)…\n`,
  );
  rmSync(root, { recursive: true, force: true });
  const buf = Buffer.alloc(16, 'x');
  for (let t = 0; t < SHAPE.tops; t++)
    for (let l = 0; l < SHAPE.leaves; l++) {
      const dir = join(root, `t${t}`, `d${l}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < SHAPE.files; f++) writeFileSync(join(dir, `f${f}`), buf);
    }
  writeFileSync(`${root}.complete`, `${files}\n`);
  return root;
}

/** A /proc status field of `pid` in MB (VmHWM: the peak resident set). */
function statusMb(pid: number | undefined, field: string): number {
  if (pid === undefined) return NaN;
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The peak RSS of a bare `node -e` (MB): what any Node process costs here. */
function bareNodeMb(): number {
  const r = spawnSync(process.execPath, [
    '-e',
    `process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])`,
  ]);
  return Number(r.stdout.toString()) / 1024;
}

/** Raises max_user_watches to `need` for the run when it is lower; returns how to put it back. */
function ensureWatches(need: number): () => void {
  const was = Number(readFileSync(WATCHES, 'utf8'));
  if (was >= need) return () => undefined;
  try {
    writeFileSync(WATCHES, `${need}\n`);
  } catch (e) {
    throw new Error(
      `scale: ${WATCHES} is ${was}, the tree needs ${need} and it cannot be raised here (${String(e)}): run as root or sysctl -w fs.inotify.max_user_watches=${need}`,
      { cause: e },
    );
  }
  process.stderr.write(`scale: fs.inotify.max_user_watches ${was} -> ${need} for the run\n`);
  return () => {
    writeFileSync(WATCHES, `${was}\n`);
  };
}

async function scale(label: string): Promise<void> {
  if (label !== 'ours') return;
  const root = tree();
  const dirs = SHAPE.tops * SHAPE.leaves + SHAPE.tops + 1;
  const files = SHAPE.tops * SHAPE.leaves * SHAPE.files;
  // Other programs of this user watch too: room for them above what the tree needs.
  const restore = ensureWatches(dirs + 65_536);
  const env = await freshEnv('scale');
  try {
    writeFileSync(
      env.conf,
      confXml({
        roots: [{ watch: root, remotes: [{ ip: '127.0.0.1', name: 'bench' }] }],
        port: env.daemon.port,
        failLog: join(env.base, 'fail.sh'),
        timeoutSeconds: false,
        statusPort: env.statusPort,
      }),
    );
    const find = (): number => {
      const t0 = now();
      const r = spawnSync('find', [root, '-type', 'd'], { maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`find failed: ${r.stderr.toString()}`);
      return now() - t0;
    };
    find(); // the caches warm, as they are for the service right after
    const floor = find();
    const nodeMb = bareNodeMb();
    const svc = await startSvc(env, label);
    const hwm = statusMb(svc.proc.pid, 'VmHWM');
    const rss = rssMb(svc.proc.pid);
    // Watching indeed: a file written deep in the tree arrives.
    const rel = join(`t${SHAPE.tops >> 1}`, `d${SHAPE.leaves >> 1}`, `probe-${process.pid}`);
    writeFileSync(join(root, rel), 'probe');
    const t0 = now();
    await until(() => existsSync(join(env.dst, rel)), 60_000, 'the probe at the target');
    const probeMs = now() - t0;
    const hwmAfter = statusMb(svc.proc.pid, 'VmHWM');
    await svc.stop();
    rmSync(join(root, rel), { force: true });
    const name = `scale: ${files.toLocaleString('en-US')} files in ${(SHAPE.tops * SHAPE.leaves).toLocaleString('en-US')} dirs`;
    rows.push({
      workload: `${name}, exec to watching`,
      service: label,
      value: svc.startedMs,
      unit: 'ms',
      floor,
      ratio: svc.startedMs / floor,
      note: `floor = find ROOT -type d of the warm tree; goal <= 10 s; then a new file arrived in ${probeMs.toFixed(0)} ms`,
    });
    rows.push({
      workload: `${name}, peak RSS (VmHWM) at watching`,
      service: label,
      value: hwm,
      unit: 'MB',
      floor: nodeMb,
      ratio: hwm / nodeMb,
      note: `floor column = VmHWM of a bare node -e, in MB; VmRSS at watching ${rss.toFixed(0)} MB; VmHWM after the probe ${hwmAfter.toFixed(0)} MB; goal <= 300 MB`,
    });
  } finally {
    restore();
    await dropEnv(env);
  }
}

export const scaleWorkloads: Record<string, Workload> = { scale };
