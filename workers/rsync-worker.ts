// piscina worker entry: runs rsync once for a SyncJob (argv array, never a shell; paths NUL-separated
// on stdin as their raw bytes; in the root even when its name has raw bytes, util/byte-cwd.ts) and
// RETURNS a RunResult with the run's facts (outcome, duration, items, bytes, named failures). Thin
// shell: what the job is comes in the job (protocol.ts); output is read by rsync-output.ts (names
// as bytes); the process group is stopped by kill.ts. The child gets its own process group so
// a kill (timeout, or 'kill' from the pool) reaches ssh too. It is started by fast-spawn.ts
// (posix_spawn, no fork of this process), in the root by fd when its name has raw bytes.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { pathListBytes, patternListBytes } from '../src/sync/argv.js';
import { dotSuffixes, excludePatterns } from '../src/sync/exclude-rules.js';
import { spawnChild, type SpawnedChild } from '../src/sync/fast-spawn.js';
import { terminateGroup } from '../src/sync/kill.js';
import {
  ioCounters,
  sampleEveryMs,
  watchdogVerdict,
  type WatchState,
} from '../src/sync/watchdog.js';
import {
  KILL_GRACE_MS,
  type ExcludeWalk,
  type RunOutcome,
  type RunResult,
  type SyncJob,
  type ToPool,
  type ToWorker,
  type WorkerTask,
} from '../src/sync/protocol.js';
import { lineSplitter, outputTally, type OutputTally } from '../src/sync/rsync-output.js';
import { posterTo } from '../src/sync/progress-poster.js';
import { displayName, encodeName } from '../src/util/byte-names.js';
import { spawnCwd, type SpawnCwd } from '../src/util/byte-cwd.js';
import type { RunStamps } from '../src/queue/types.js';
import { systemClock } from '../src/util/clock.js';
import { walk } from '../src/watch/walk.js';
import { matchesExcludePath } from '../src/watch/exclude-match.js';

const STDERR_TAIL_BYTES = 8192;

/**
 * The exclude patterns for `w.dirs` (exclude-rules.ts): what the watcher's walk, with the watcher's
 * verdict, finds excluded (pruned at excluded directories), and the name suffixes of what it keeps.
 */
async function excludePatternsOf(cwd: string, w: ExcludeWalk): Promise<string[]> {
  const regexes = w.rules.map((r) => r.regex);
  const out: string[] = [];
  for (const start of w.dirs) {
    const excluded: { rel: string; isDir: boolean }[] = [];
    const keptSuffixes = new Set<string>();
    // A directory that vanished meanwhile has nothing to exclude; rsync reports what it misses.
    await walk({
      root: cwd,
      start,
      statWalk: w.statWalk,
      isExcluded: (rel, isDir) => {
        const x = matchesExcludePath(regexes, rel, isDir);
        if (x) excluded.push({ rel, isDir });
        return x;
      },
      onEntry: (e) => {
        for (const sfx of dotSuffixes(e.relPath.slice(e.relPath.lastIndexOf('/') + 1)))
          keptSuffixes.add(sfx);
      },
    });
    out.push(...excludePatterns({ start, excluded, keptSuffixes }));
  }
  return out;
}

type Collected = Omit<RunResult, 'id' | 'durationMs'>;
/** Epoch ms, comparable with the main thread's clock. */
const stampNow = (): number => performance.timeOrigin + performance.now();

/** rsync's I/O counters (rchar + wchar), undefined when /proc cannot tell (not Linux, gone). */
function procIo(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return ioCounters(readFileSync(`/proc/${pid}/io`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Sets `control.kill` (stop the child's group: kill.ts) and the job's watchdog (watchdog.ts):
 * killed only after `timeoutMs` with no output (`lastOutputAt()`) and no change of its I/O
 * counters, never for its length. Returns the cancels to call once the child is gone.
 */
function armKill(
  child: SpawnedChild,
  timeoutMs: number,
  control: { kill?: () => void },
  lastOutputAt: () => number,
  onTimeout: () => void,
): (() => void)[] {
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const cancels: (() => void)[] = [];
  control.kill = () => {
    if (child.pid !== undefined)
      cancels.push(terminateGroup(child.pid, KILL_GRACE_MS, systemClock, gone));
  };
  let cancelCheck: () => void = () => undefined;
  let state: WatchState = { progressAt: performance.now() };
  const check = (): void => {
    const v = watchdogVerdict(
      state,
      performance.now(),
      lastOutputAt(),
      procIo(child.pid),
      timeoutMs,
    );
    if (v.kill) {
      onTimeout();
      control.kill?.();
    } else {
      state = v.next;
      cancelCheck = systemClock.setTimeout(check, v.checkInMs);
    }
  };
  if (timeoutMs > 0) {
    cancelCheck = systemClock.setTimeout(check, sampleEveryMs(timeoutMs));
    cancels.push(() => {
      cancelCheck();
    });
  }
  return cancels;
}

/** What a run collected, as the pool gets it. */
function collectedOf(
  outcome: RunOutcome,
  tally: OutputTally,
  tail: string,
  stamps: RunStamps | undefined,
): Collected {
  const errorLine = tally.errorLine();
  return {
    outcome,
    stderrTail: tail,
    ...(errorLine === undefined ? {} : { errorLine }),
    failedPaths: tally.failedPaths(),
    itemsReported: tally.items,
    bytes: tally.bytes,
    ...(stamps === undefined ? {} : { stamps }),
  };
}

function runRsync(
  taskAt: number,
  job: SyncJob,
  cwd: number | string,
  argv: readonly string[],
  control: { kill?: () => void },
  port: MessagePort | undefined,
  progress: boolean,
): Promise<Collected> {
  return new Promise((resolve) => {
    let tail = '';
    let timedOut = false;
    const tally = outputTally(job.cwd);
    const poster = progress ? posterTo(port, tally) : undefined;
    const spawnAt = stampNow();
    const child = spawnChild(job.rsyncPath, argv, { cwd, detached: true });
    const spawnedAt = stampNow();
    let lastOutputAt = performance.now();
    const cancels = armKill(
      child,
      job.timeoutMs,
      control,
      () => lastOutputAt,
      () => {
        timedOut = true;
      },
    );
    const out = lineSplitter((l) => {
      if (tally.stdout(l) !== null) poster?.changed();
    });
    const err = lineSplitter(tally.stderr);
    child.stdout.on('data', (c: Buffer) => {
      lastOutputAt = performance.now();
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      lastOutputAt = performance.now();
      err.push(c);
      tail = (tail + c.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // EPIPE: rsync exited before reading the list; its exit code tells why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(encodeName(pathListBytes(job.paths)));
    let settled = false;
    const done = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      const closedAt = stampNow();
      cancels.forEach((c) => {
        c();
      });
      out.end();
      err.end();
      poster?.flush(); // before the result: the pool drains its port once the task settles
      const stamps = { taskAt, spawnAt, spawnedAt, closedAt };
      resolve(
        collectedOf(outcome, tally, tail, outcome.kind === 'spawn-error' ? undefined : stamps),
      );
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

const KILLED_BEFORE_SPAWN: Collected = collectedOf(
  { kind: 'signaled', signal: 'SIGTERM' },
  outputTally('.'),
  '',
  undefined,
);

/** The spawn cwd of the job's root (byte-cwd.ts), or the spawn error a cwd it cannot open is. */
function openCwd(root: string): SpawnCwd | Collected {
  try {
    return spawnCwd(root);
  } catch (e) {
    // As spawn reports a cwd it cannot enter: a spawn error with the errno code (a value).
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    const message = `${code}: cannot open the working directory ${displayName(root)}`;
    return { ...KILLED_BEFORE_SPAWN, outcome: { kind: 'spawn-error', message } };
  }
}

/** The piscina task: one rsync run. Expected failures are values; only bugs throw. */
export default async function rsyncWorker({ job, port, progress }: WorkerTask): Promise<RunResult> {
  const started = performance.now();
  const taskAt = stampNow();
  const control: { kill?: () => void; killed?: boolean } = {};
  port?.on('message', (_m: ToWorker) => {
    control.killed = true;
    control.kill?.();
  });
  let tmp: string | undefined;
  let dir: SpawnCwd | Collected | undefined;
  try {
    const pre: string[] = [];
    if (job.excludeWalk !== undefined) {
      const patterns = await excludePatternsOf(job.cwd, job.excludeWalk);
      if (patterns.length > 0) {
        tmp = await mkdtemp(join(tmpdir(), 'sersync-exclude-'));
        const file = join(tmp, 'exclude-from');
        await writeFile(file, encodeName(patternListBytes(patterns)), { mode: 0o600 });
        pre.push('--from0', `--exclude-from=${file}`);
      }
    }
    dir = control.killed === true ? undefined : openCwd(job.cwd);
    const collected =
      dir === undefined
        ? KILLED_BEFORE_SPAWN
        : 'outcome' in dir
          ? dir
          : await runRsync(
              taskAt,
              job,
              dir.fd ?? dir.cwd,
              [...pre, ...job.argv],
              control,
              port,
              progress === true,
            );
    return { id: job.id, durationMs: Math.round(performance.now() - started), ...collected };
  } finally {
    if (dir !== undefined && 'close' in dir) dir.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    port?.close();
  }
}
