// piscina worker entry: runs rsync once for a SyncJob (argv array, never a shell; paths NUL-separated
// on stdin), collects per-file output and named failures, and RETURNS a RunResult. Thin shell.
// The child gets its own process group so a kill (timeout, or 'kill' from the pool) reaches ssh too.
// With `progress` set (full syncs), it also posts {files, bytes} counted from the out-format lines.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { RunOutcome, RunResult, SyncJob } from '../src/sync/job.js';
import {
  FULL_OUT_FORMAT,
  literalPattern,
  pathListBytes,
  patternListBytes,
} from '../src/sync/argv.js';
import { failedPathOf } from '../src/sync/exit-policy.js';
import { compileSources, matchesEntry } from '../src/watch/exclude-match.js';

/** What the pool sends: the job, a port for the kill protocol, and whether to report progress. */
export interface WorkerTask {
  readonly job: SyncJob;
  readonly port?: MessagePort;
  /** Post `progress` messages on `port` (full syncs whose caller wants them). */
  readonly progress?: boolean;
}
/**
 * worker -> pool: the rsync pid (its process group id); progress of the run (at most every
 * PROGRESS_INTERVAL_MS while rsync runs, plus a last one when it ends, only when counts changed).
 * pool -> worker: kill the run.
 */
export type ToPool =
  | { readonly kind: 'spawned'; readonly pid: number }
  | { readonly kind: 'progress'; readonly files: number; readonly bytes: number };
export type ToWorker = { readonly kind: 'kill' };

const STDERR_TAIL_BYTES = 8192;
const MAX_FAILED_PATHS = 10_000;
const KILL_GRACE_MS = 2000;
export const PROGRESS_INTERVAL_MS = 500;

/** An out-format item line: `%o %n`, or `%o %l %n` (FULL_OUT_FORMAT). Directories end in `/`. */
const ITEM = /^(send|recv|del\.) /;
const ITEM_WITH_LENGTH = /^(send|recv|del\.) (\d+) (.*)$/;

/** Counts transferred files and their lengths; posts the counts through `post`, throttled. */
function progressCounter(
  withLength: boolean,
  post?: (files: number, bytes: number) => void,
): {
  item(line: string): void;
  flush(): void;
} {
  let files = 0;
  let bytes = 0;
  let postedFiles = 0;
  let postedBytes = 0;
  let lastPostAt = -Infinity;
  let pending: NodeJS.Timeout | undefined;
  const send = (): void => {
    pending = undefined;
    lastPostAt = performance.now();
    if (files === postedFiles && bytes === postedBytes) return;
    postedFiles = files;
    postedBytes = bytes;
    post?.(files, bytes);
  };
  return {
    item(line) {
      if (post === undefined) return;
      const m = withLength ? ITEM_WITH_LENGTH.exec(line) : ITEM.exec(line);
      if (m === null || m[1] === 'del.') return;
      const name = withLength ? (m[3] ?? '') : line.slice(m[0].length);
      if (name.endsWith('/')) return;
      files++;
      if (withLength) bytes += Number(m[2]);
      const wait = lastPostAt + PROGRESS_INTERVAL_MS - performance.now();
      if (wait <= 0) send();
      else pending ??= setTimeout(send, wait);
    },
    flush() {
      if (pending !== undefined) clearTimeout(pending);
      send();
    },
  };
}

/** Paths under `walk.dirs` that an exclude matches (watch/exclude-match.ts), pruned at excluded dirs. */
async function excludedPaths(
  cwd: string,
  walk: NonNullable<SyncJob['excludeWalk']>,
): Promise<string[]> {
  const regexes = compileSources(walk.excludeRegexes);
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    // A directory that vanished meanwhile has nothing to exclude; rsync reports what it misses.
    const entries = await readdir(rel === '' ? cwd : join(cwd, rel), { withFileTypes: true }).catch(
      () => [],
    );
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const isDir = e.isDirectory();
      if (matchesEntry(regexes, r, isDir)) out.push(r);
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

function runRsync(
  job: SyncJob,
  argv: readonly string[],
  control: { kill?: () => void },
  port?: MessagePort,
  progress = false,
): Promise<Collected> {
  return new Promise((resolve) => {
    let tail = '';
    let items = 0;
    let timedOut = false;
    const counter = progressCounter(
      argv.includes(FULL_OUT_FORMAT),
      progress && port !== undefined
        ? (files, bytes) => {
            port.postMessage({ kind: 'progress', files, bytes } satisfies ToPool);
          }
        : undefined,
    );
    const failed = new Set<string>();
    const onError = (line: string): void => {
      const p = failedPathOf(line, job.cwd);
      if (p !== undefined && failed.size < MAX_FAILED_PATHS) failed.add(p);
    };
    const child = spawn(job.rsyncPath, [...argv], {
      cwd: job.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timers: NodeJS.Timeout[] = [];
    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* ESRCH: the group is already gone. */
      }
    };
    control.kill = () => {
      signalGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          signalGroup('SIGKILL');
        }, KILL_GRACE_MS),
      );
    };
    if (job.timeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          control.kill?.();
        }, job.timeoutMs),
      );
    }
    const out = lines((l) => {
      if (ITEM.test(l)) {
        items++;
        counter.item(l);
      } else onError(l);
    });
    const err = lines(onError);
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
    });
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
      counter.flush(); // before the result: the pool drains its port once the task settles
      resolve({ outcome, stderrTail: tail, failedPaths: [...failed], itemsReported: items });
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      // err.code does not survive the thread boundary, so it is put into the message (a value).
      if (child.pid === undefined)
        done({ kind: 'spawn-error', message: `${e.code ?? 'EUNKNOWN'}: ${e.message}` });
    });
    child.once('spawn', () => {
      if (child.pid !== undefined)
        port?.postMessage({ kind: 'spawned', pid: child.pid } satisfies ToPool);
    });
    child.once('close', (code, signal) => {
      if (timedOut) done({ kind: 'timed-out' });
      else if (signal !== null) done({ kind: 'signaled', signal });
      else done({ kind: 'exited', code: code ?? -1 });
    });
  });
}

/** The piscina task: one rsync run. Expected failures are values; only bugs throw. */
export default async function rsyncWorker({ job, port, progress }: WorkerTask): Promise<RunResult> {
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
    const collected: Collected =
      control.killed === true
        ? {
            outcome: { kind: 'signaled', signal: 'SIGTERM' },
            stderrTail: '',
            failedPaths: [],
            itemsReported: 0,
          }
        : await runRsync(job, [...pre, ...job.argv], control, port, progress === true);
    return { id: job.id, durationMs: Math.round(performance.now() - started), ...collected };
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    port?.close();
  }
}
