// piscina worker entry: runs rsync once for a SyncJob (argv array, never a shell; paths NUL-separated
// on stdin), collects per-file output and named failures, and RETURNS a RunResult. Thin shell.
// The child gets its own process group so a kill (timeout, or 'kill' from the pool) reaches ssh too.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { RunOutcome, RunResult, SyncJob } from '../src/sync/job.js';
import { literalPattern, pathListBytes, patternListBytes } from '../src/sync/argv.js';
import { failedPathOf } from '../src/sync/exit-policy.js';

/** What the pool sends: the job and a port for the kill protocol. */
export interface WorkerTask {
  readonly job: SyncJob;
  readonly port?: MessagePort;
}
/** worker -> pool: the rsync pid (its process group id). pool -> worker: kill the run. */
export type ToPool = { readonly kind: 'spawned'; readonly pid: number };
export type ToWorker = { readonly kind: 'kill' };

const STDERR_TAIL_BYTES = 8192;
const MAX_FAILED_PATHS = 10_000;
const KILL_GRACE_MS = 2000;

/** Paths under `walk.dirs` that fully match an exclude regex (dirs also as `rel/`), pruned at excluded dirs. */
async function excludedPaths(cwd: string, walk: NonNullable<SyncJob['excludeWalk']>): Promise<string[]> {
  const regexes = walk.excludeRegexes.map((s) => new RegExp(s));
  const hit = (rel: string): boolean => regexes.some((r) => r.test(rel));
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    // A directory that vanished meanwhile has nothing to exclude; rsync reports what it misses.
    const entries = await readdir(rel === '' ? cwd : join(cwd, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const isDir = e.isDirectory();
      if (hit(r) || (isDir && hit(`${r}/`))) out.push(r);
      else if (isDir) await visit(r);
    }
  };
  for (const d of walk.dirs) await visit(d);
  return out;
}

/** Calls `onLine` for each complete line of a stream; the rest is flushed at the end. */
function lines(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let carry = '';
  return {
    push(chunk) {
      const parts = (carry + chunk.toString('utf8')).split('\n');
      carry = parts.pop() ?? '';
      parts.forEach(onLine);
    },
    end() {
      if (carry !== '') onLine(carry);
    },
  };
}

type Collected = Omit<RunResult, 'id' | 'durationMs'>;

function runRsync(job: SyncJob, argv: readonly string[], control: { kill?: () => void }, port?: MessagePort): Promise<Collected> {
  return new Promise((resolve) => {
    let tail = '';
    let items = 0;
    let timedOut = false;
    const failed = new Set<string>();
    const onError = (line: string): void => {
      const p = failedPathOf(line, job.cwd);
      if (p !== undefined && failed.size < MAX_FAILED_PATHS) failed.add(p);
    };
    const child = spawn(job.rsyncPath, [...argv], { cwd: job.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const timers: NodeJS.Timeout[] = [];
    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try { process.kill(-child.pid, sig); } catch { /* ESRCH: the group is already gone. */ }
    };
    control.kill = () => {
      signalGroup('SIGTERM');
      timers.push(setTimeout(() => { signalGroup('SIGKILL'); }, KILL_GRACE_MS));
    };
    if (job.timeoutMs > 0) {
      timers.push(setTimeout(() => { timedOut = true; control.kill?.(); }, job.timeoutMs));
    }
    const out = lines((l) => {
      if (/^(send|recv|del\.) /.test(l)) items++;
      else onError(l);
    });
    const err = lines(onError);
    child.stdout.on('data', (c: Buffer) => { out.push(c); });
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      tail = (tail + c.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // EPIPE: rsync exited before reading the list; its exit code tells why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(pathListBytes(job.paths));
    let settled = false;
    const done = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      out.end();
      err.end();
      resolve({ outcome, stderrTail: tail, failedPaths: [...failed], itemsReported: items });
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      // err.code does not survive the thread boundary, so it is put into the message (a value).
      if (child.pid === undefined) done({ kind: 'spawn-error', message: `${e.code ?? 'EUNKNOWN'}: ${e.message}` });
    });
    child.once('spawn', () => { if (child.pid !== undefined) port?.postMessage({ kind: 'spawned', pid: child.pid } satisfies ToPool); });
    child.once('close', (code, signal) => {
      if (timedOut) done({ kind: 'timed-out' });
      else if (signal !== null) done({ kind: 'signaled', signal });
      else done({ kind: 'exited', code: code ?? -1 });
    });
  });
}

/** The piscina task: one rsync run. Expected failures are values; only bugs throw. */
export default async function rsyncWorker({ job, port }: WorkerTask): Promise<RunResult> {
  const started = performance.now();
  const control: { kill?: () => void; killed?: boolean } = {};
  port?.on('message', (_m: ToWorker) => {
    control.killed = true;
    control.kill?.();
  });
  let tmp: string | undefined;
  try {
    const pre: string[] = [];
    if (job.excludeWalk !== undefined) {
      const excluded = await excludedPaths(job.cwd, job.excludeWalk);
      if (excluded.length > 0) {
        tmp = await mkdtemp(join(tmpdir(), 'sersync-exclude-'));
        const file = join(tmp, 'exclude-from');
        await writeFile(file, patternListBytes(excluded.map(literalPattern)), { mode: 0o600 });
        pre.push('--from0', `--exclude-from=${file}`);
      }
    }
    const collected: Collected = control.killed === true
      ? { outcome: { kind: 'signaled', signal: 'SIGTERM' }, stderrTail: '', failedPaths: [], itemsReported: 0 }
      : await runRsync(job, [...pre, ...job.argv], control, port);
    return { id: job.id, durationMs: Math.round(performance.now() - started), ...collected };
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    port?.close();
  }
}
