// The worker pool that runs rsync jobs: a thin piscina wrapper with a kill protocol, because
// terminating a piscina thread does not kill the child it spawned (measured with piscina 5). Shell.
//
//   open ──close()──────────────▶ draining (queued + running jobs finish) ──▶ closed
//     └───close({force:true})───▶ killing: every job gets 'kill' on its port; a running rsync
//                                 group gets SIGTERM (SIGKILL after a grace period), a queued job
//                                 returns 'signaled' without spawning ──▶ closed
// A later close({force:true}) during draining escalates to killing. run() after close() rejects
// with PoolClosedError.
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { terminateGroup } from './kill.js';
import { RSYNC_WORKER_FILE, RSYNC_WORKER_URL } from './paths.js';
import type { SyncProgress } from './progress.js';
import {
  KILL_GRACE_MS,
  type RunResult,
  type SyncJob,
  type ToPool,
  type ToWorker,
  type WorkerTask,
} from './protocol.js';
import { systemClock, type Clock } from '../util/clock.js';
import { unreachable } from '../util/unreachable.js';
import { loadNativeSpawn } from '../watch/native-binding.js';

/** A job was not run (or was cut short) because the pool was closed. The caller must requeue its paths. */
export class PoolClosedError extends Error {
  readonly kind = 'pool-closed';
  constructor(message = 'sync pool is closed') {
    super(message);
    this.name = 'PoolClosedError';
  }
}

export interface PoolOptions {
  /** rsync runs at the same time (`-n`), spread over at most one worker thread per core. */
  readonly threads: number;
  /** Worker entry; defaults to the compiled workers/rsync-worker.js. Tests only. */
  readonly workerFile?: string;
  /** After SIGTERM, how long a forced close waits before SIGKILL of the rsync groups. Default KILL_GRACE_MS. */
  readonly killGraceMs?: number;
  /** Timer source for that grace period (default: the system clock). */
  readonly clock?: Clock;
  /**
   * Run a small path job on the calling thread when nothing else runs (see `runsInline`). Default:
   * on with the real worker entry, off with a test's `workerFile`.
   */
  readonly inline?: boolean;
  /** How long the pool keeps its last thread once nothing runs (default IDLE_THREAD_MS). */
  readonly idleTimeoutMs?: number;
}

/**
 * An idle service holds no worker thread (one is ~10 MB of RSS): the first run that does not go
 * inline boots one (tens of ms), a second one goes after a quiet minute, the last after this long
 * with nothing to run. A lone change runs inline (runsInline), so it never waits for one.
 */
export const IDLE_THREAD_MS = 60_000;
/**
 * The worker's young generation: it only feeds and reads rsync, so a small one costs a few more
 * scavenges and saves the ~3 MB a default-sized one grows to in a burst.
 */
const WORKER_YOUNG_GENERATION_MB = 3;

/** At most this many paths in a job run on the calling thread (a lone change, a few files). */
export const INLINE_MAX_PATHS = 64;

/**
 * Whether `job` runs on the calling thread. Only listed paths with no exclude walk ever do (a full
 * sync's walk is CPU work for a worker thread). With the native spawner (`fastSpawn`,
 * native/spawn.cc: posix_spawn, ~1 ms whatever the process's size) every such job does: the thread
 * only feeds rsync its list and reads its output, so a burst boots no worker thread (~10 MB of RSS,
 * ~0.2 s of CPU to start) and pays no hop each way. Without it (child_process forks the whole
 * process, 5-10 ms that block the loop), only a small job while the pool runs nothing does, so a
 * lone change pays no thread hop (~2 ms each way on a busy 2-core machine); bursts keep the threads.
 */
export function runsInline(job: SyncJob, running: number, fastSpawn = false): boolean {
  if (job.kind !== 'paths' || job.excludeWalk !== undefined) return false;
  return fastSpawn || (running === 0 && job.paths.length <= INLINE_MAX_PATHS);
}

type TaskFn = (task: WorkerTask) => Promise<RunResult>;
let inlineTask: Promise<TaskFn> | undefined;
/** The worker's own task function, loaded once into this thread. */
function loadInlineTask(): Promise<TaskFn> {
  inlineTask ??= import(RSYNC_WORKER_URL.href).then((m: { default: TaskFn }) => m.default);
  return inlineTask;
}

/** Per-run options. */
export interface RunOptions {
  /**
   * Called with the running totals of transferred files and bytes, at most every 500 ms while
   * rsync runs plus once at its end (when they changed), always before run() resolves. Bytes
   * are the `%l` (file length) of each sent file (OUT_FORMAT).
   */
  readonly onProgress?: (p: SyncProgress) => void;
}

export interface SyncPool {
  /**
   * Runs one job on a free thread (queued when all are busy; no ordering guarantee between
   * jobs). Resolves with the RunResult, whatever rsync did. Rejects with PoolClosedError when
   * the pool was closed before the job ran, or with the worker's Error for a bug.
   */
  run(job: SyncJob, opts?: RunOptions): Promise<RunResult>;
  /**
   * Graceful: waits for queued and running jobs. `force`: rejects queued jobs, kills every running
   * rsync (its whole process group, so ssh too) and resolves once no child is left.
   */
  close(opts?: { readonly force?: boolean }): Promise<void>;
}

interface Active {
  readonly port: MessagePort;
  pid?: number;
  /** Settles (never rejects) when the job's task settles. */
  done: Promise<unknown>;
}

/**
 * `runs` concurrent rsync runs (-n) on at most one thread per core: threads beyond the cores only
 * cost isolates (CPU to boot, ~10 MB each), since a thread waits on its children, not computes.
 */
export function threadPlan(runs: number, cores: number): { threads: number; perThread: number } {
  const threads = Math.max(1, Math.min(runs, cores));
  return { threads, perThread: Math.ceil(runs / threads) };
}

function startPiscina(opts: PoolOptions): Piscina<WorkerTask, RunResult> {
  const { threads, perThread } = threadPlan(opts.threads, availableParallelism());
  return new Piscina<WorkerTask, RunResult>({
    filename: opts.workerFile ?? RSYNC_WORKER_FILE,
    // A run is an rsync child the thread only feeds and reads, so one thread carries several runs
    // at once; a new thread (~0.2 s of CPU to boot an isolate) starts only when the warm one is
    // full, and goes after a quiet minute. The warm one goes with the whole piscina (lazyPiscina).
    minThreads: 1,
    maxThreads: threads,
    concurrentTasksPerWorker: perThread,
    idleTimeout: 60_000,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    atomics: 'disabled',
  });
}

/**
 * The piscina, started by the first run after none was there, destroyed (its last thread exits)
 * `opts.idleTimeoutMs` after the last run ended with no other running. Checks `opts.threads`.
 */
function lazyPiscina(
  opts: PoolOptions,
  clock: Clock,
): { get(): Piscina<WorkerTask, RunResult>; idle(): void; destroy(): Promise<void> } {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${opts.threads}`);
  }
  let current: Piscina<WorkerTask, RunResult> | undefined;
  let cancelIdle: (() => void) | undefined;
  const stopTimer = (): void => {
    cancelIdle?.();
    cancelIdle = undefined;
  };
  return {
    get() {
      stopTimer();
      current ??= startPiscina(opts);
      return current;
    },
    idle() {
      stopTimer();
      cancelIdle = clock.setTimeout(() => {
        cancelIdle = undefined;
        const p = current;
        current = undefined;
        void p?.destroy(); // nothing runs on it: a later run starts a new one
      }, opts.idleTimeoutMs ?? IDLE_THREAD_MS);
    },
    async destroy() {
      stopTimer();
      await current?.destroy();
      current = undefined;
    },
  };
}

/** One job on the calling thread (`here`) or on a worker thread (the piscina started if none). */
function startTask(
  piscina: { get(): Piscina<WorkerTask, RunResult> },
  here: boolean,
  wt: WorkerTask,
  port: MessagePort,
): Promise<RunResult> {
  return here
    ? loadInlineTask().then((f) => f(wt))
    : piscina.get().run(wt, { transferList: [port] });
}

/** Whether jobs may run on this thread (the real worker entry), and with the native spawner. */
function inlineMode(opts: PoolOptions): { inline: boolean; fastSpawn: boolean } {
  const inline = opts.inline ?? opts.workerFile === undefined;
  if (inline) void loadInlineTask();
  return { inline, fastSpawn: inline && loadNativeSpawn().ok };
}

/** Creates the pool. `atomics: 'disabled'` so a worker's async work never freezes between tasks. */
export function createPool(opts: PoolOptions): SyncPool {
  const killGraceMs = opts.killGraceMs ?? KILL_GRACE_MS;
  const clock = opts.clock ?? systemClock;
  const piscina = lazyPiscina(opts, clock);
  const { inline, fastSpawn } = inlineMode(opts);
  const active = new Set<Active>();
  let state: 'open' | 'draining' | 'killing' = 'open';
  const isOpen = (): boolean => state === 'open';
  let closed: Promise<void> | undefined;

  // The worker stops its own child; the pool signals the group too, in case the thread is stuck
  // (SIGKILL after the grace period while the job is still registered).
  const kill = (a: Active): void => {
    a.port.postMessage({ kind: 'kill' } satisfies ToWorker);
    if (a.pid !== undefined) terminateGroup(a.pid, killGraceMs, clock, () => !active.has(a));
  };

  const startKilling = (): void => {
    if (state === 'killing') return;
    state = 'killing';
    for (const a of active) kill(a);
  };

  return {
    async run(job, o = {}) {
      if (state !== 'open') throw new PoolClosedError();
      const { port1, port2 } = new MessageChannel();
      const onProgress = o.onProgress;
      const wt: WorkerTask = { job, port: port2, progress: onProgress !== undefined };
      const task = startTask(piscina, inline && runsInline(job, active.size, fastSpawn), wt, port2);
      const a: Active = { port: port1, done: task.catch(() => undefined) };
      active.add(a);
      const onMessage = (m: ToPool): void => {
        switch (m.kind) {
          case 'spawned':
            a.pid = m.pid;
            if (state === 'killing') kill(a);
            return;
          case 'progress':
            onProgress?.({ files: m.files, bytes: m.bytes });
            return;
          default:
            unreachable(m);
        }
      };
      port1.on('message', onMessage);
      try {
        return await task;
      } catch (e) {
        if (!isOpen())
          throw new PoolClosedError(
            `sync pool closed: ${e instanceof Error ? e.message : String(e)}`,
          );
        throw e;
      } finally {
        active.delete(a);
        if (active.size === 0 && isOpen()) piscina.idle();
        // The worker posted its last messages before returning, so they are queued on port1 by
        // now even if their 'message' events have not fired yet: deliver them before resolving.
        for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1))
          onMessage(m.message as ToPool);
        port1.close();
      }
    },
    close(o = {}) {
      if (o.force === true) startKilling();
      else if (state === 'open') state = 'draining';
      // We wait for our own jobs instead of piscina.close(): its flush check can count one worker
      // twice and destroy a thread under a running job (seen with 5.3.2), orphaning its rsync.
      // A graceful close already in progress is escalated by startKilling(): every job, running or
      // still queued, got 'kill' on its port (a queued one then returns without spawning).
      closed ??= (async () => {
        while (active.size > 0) await Promise.allSettled([...active].map((x) => x.done));
        await piscina.destroy();
      })();
      return closed;
    },
  };
}
