// `-d`: run in the background properly (sersync 2.5.4 forked once, kept the terminal's stdio, wrote
// no pid file). Parent: re-spawn self detached with output appended to the log file, wait for
// 'ready' over IPC. Child: own the pid file, report ready, drop the IPC channel. Shell.
// Logging in the child: cli.ts opens the log file by path (createLogger({file})), so SIGUSR1 can
// reopen it after logrotate moved it; the inherited stdout/stderr descriptors cannot be reopened
// and only carry start-up messages written before that logger exists (and stray output).
//
//   parent: open log --> pid file free? --> spawn child --ready--> print pid, exit 0
//                                                       \--exit--> print log tail, exit child's code
//   child:  load config --> hold pid file (73 if taken) --> run daemon --onReady--> send 'ready', disconnect
import { spawn } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { LOG_FILE_MODE } from './log.js';
import { err, ok, type Result } from './util/result.js';
import { openAppendNoFollow, PID_FILE_FLAGS } from './util/safe-fs.js';

/** Set in the child's environment; its value is the directory the user started sersync from. */
export const DAEMON_CHILD_ENV = 'SERSYNC_DAEMON_CHILD';

/** In the re-spawned child: the user's original cwd (relative paths resolve against it). Else undefined. */
export function daemonChildCwd(env: NodeJS.ProcessEnv): string | undefined {
  const v = env[DAEMON_CHILD_ENV];
  return v === undefined || v === '' ? undefined : v;
}

export type DaemonFailure =
  /** Another live sersync holds the pid file (exit 73). */
  | { readonly kind: 'already-running'; readonly pid: number; readonly pidFile: string }
  /** The pid file or the log file cannot be written (exit 73). */
  | { readonly kind: 'cannot-create'; readonly file: string; readonly message: string }
  /** The background process could not be started at all. */
  | { readonly kind: 'spawn-failed'; readonly message: string }
  /** The background process ended before it was ready; `logTail` is what it wrote. */
  | {
      readonly kind: 'child-exited';
      readonly code: number | null;
      readonly signal: string | null;
      readonly logTail: string;
    };

/** The user-facing line for a failure (no stack). */
export function describeDaemonFailure(f: DaemonFailure): string {
  switch (f.kind) {
    case 'already-running':
      return `another sersync is already running: pid ${f.pid} (pid file ${f.pidFile})`;
    case 'cannot-create':
      return `cannot write ${f.file}: ${f.message}`;
    case 'spawn-failed':
      return `cannot start the background process: ${f.message}`;
    case 'child-exited':
      return `the background process stopped during start-up (${f.signal ?? `exit code ${String(f.code)}`})`;
  }
}

const errnoMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The pid in a pid file, or undefined (missing, unreadable, garbage). */
export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live process that may be a sersync: it exists (kill 0 succeeds or EPERM)
 * and, where /proc tells, its command line mentions node or sersync (a pid reused after a reboot
 * by some other program does not block the start). Our own pid never counts.
 */
export function isLiveSersync(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|sersync/i.test(cmdline);
  } catch {
    return true; // no /proc: assume it is one
  }
}

/** The pid file held by this process. */
export interface PidFile {
  readonly path: string;
  /** Removes the file if it still holds our pid. Idempotent; also runs at process exit. */
  release(): void;
}

/**
 * Writes `process.pid` to `path` (creating its directory). Refuses if the file names a live
 * sersync; replaces a stale one. Created with O_EXCL, so two starts at once cannot both win.
 * The file is removed when the process exits (normally or through process.exit).
 */
export function holdPidFile(path: string): Result<PidFile, DaemonFailure> {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    return err({ kind: 'cannot-create', file: path, message: errnoMessage(e) });
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, PID_FILE_FLAGS, 0o644); // O_EXCL|O_NOFOLLOW
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        return err({ kind: 'cannot-create', file: path, message: errnoMessage(e) });
      }
      const other = readPidFile(path);
      if (other !== undefined && isLiveSersync(other))
        return err({ kind: 'already-running', pid: other, pidFile: path });
      if (attempt > 0)
        return err({ kind: 'cannot-create', file: path, message: 'pid file keeps reappearing' });
      try {
        unlinkSync(path); // stale: its process is gone
      } catch {
        // another starter removed it first; retry the exclusive create
      }
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readPidFile(path) === process.pid) unlinkSync(path);
    } catch {
      // already gone: nothing to clean up
    }
  };
  process.on('exit', release);
  return ok({ path, release });
}

/** In the child: tells the waiting parent that the daemon is up, then closes the IPC channel. */
export function notifyParentReady(): void {
  const send = process.send?.bind(process);
  if (send === undefined || !process.connected) return;
  send({ type: 'ready', pid: process.pid }, () => {
    if (process.connected) process.disconnect();
  });
}

export interface DetachOptions {
  /**
   * Where the child's stdout and stderr are appended (created `rw-r-----`). The child's own
   * logger appends to the same path, so start-up failures and later lines end up in one file.
   */
  readonly logFile: string;
  /** Checked before spawning, so "already running" is reported without starting anything. */
  readonly pidFile: string;
  /** `node` + its flags + the script + the user's arguments, as this process was started. */
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly script: string;
  readonly args: readonly string[];
  /** The user's cwd; the child runs in `/` and resolves relative paths against this. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** How many log lines to return when the child dies during start-up. Default 20. */
  readonly tailLines?: number;
  /** How long to wait for the child's "ready" before returning anyway. Default START_WAIT_DEFAULT_S. */
  readonly readyTimeoutMs?: number;
}

/** A started background process; `ready` is false when the wait for it ended first. */
export interface Detached {
  readonly pid: number;
  readonly ready: boolean;
}

/** The environment variable bounding how long `-d` waits for the background process (seconds). */
export const START_WAIT_ENV = 'SERSYNC_START_TIMEOUT';
/** Default of START_WAIT_ENV: 60 s, well inside systemd's default 90 s start timeout. */
export const START_WAIT_DEFAULT_S = 60;
const START_WAIT_MAX_S = 86_400;

/**
 * How long `-d` waits for "ready", in ms, from `SERSYNC_START_TIMEOUT` (whole seconds 1-86400;
 * unset or empty: 60 s). An invalid value is an error message. Pure.
 */
export function startWaitMs(env: NodeJS.ProcessEnv): Result<number, string> {
  const v = env[START_WAIT_ENV];
  if (v === undefined || v.trim() === '') return ok(START_WAIT_DEFAULT_S * 1000);
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > START_WAIT_MAX_S)
    return err(
      `${START_WAIT_ENV} must be a whole number of seconds 1-${START_WAIT_MAX_S}, got ${JSON.stringify(v)}`,
    );
  return ok(n * 1000);
}

/** Reads what was appended to `file` after byte `from`, keeping the last `lines` lines. */
function tailSince(file: string, from: number, lines: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(from, size - 64 * 1024);
      const buf = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buf, 0, buf.length, start);
      return buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .slice(-lines)
        .join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Parent side of `-d`: starts this program again in the background (`detached`, so it gets its
 * own session, stdin closed, stdout+stderr appended to `logFile`, an IPC channel) and resolves
 * with its pid once it reports ready, or with why it did not start.
 * The wait is bounded by `readyTimeoutMs`: a huge tree can take minutes to watch, and rc.local or
 * a `Type=forking` unit must not block that long. When it passes, the parent lets the child go on
 * and resolves with `ready: false` (the child reports "ready" in the log file later).
 */
export async function detach(o: DetachOptions): Promise<Result<Detached, DaemonFailure>> {
  const other = readPidFile(o.pidFile);
  if (other !== undefined && isLiveSersync(other))
    return err({ kind: 'already-running', pid: other, pidFile: o.pidFile });
  let fd: number;
  try {
    mkdirSync(dirname(o.logFile), { recursive: true });
    fd = openAppendNoFollow(o.logFile, LOG_FILE_MODE);
  } catch (e) {
    return err({ kind: 'cannot-create', file: o.logFile, message: errnoMessage(e) });
  }
  const offset = fstatSync(fd).size;
  return new Promise((resolve) => {
    const child = spawn(o.execPath, [...o.execArgv, o.script, ...o.args], {
      cwd: '/',
      detached: true,
      env: { ...o.env, [DAEMON_CHILD_ENV]: o.cwd },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    let settled = false;
    const waitMs = o.readyTimeoutMs ?? START_WAIT_DEFAULT_S * 1000;
    const timer = setTimeout(() => {
      settle(ok({ pid: child.pid ?? 0, ready: false }));
    }, waitMs);
    const settle = (r: Result<Detached, DaemonFailure>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (r.ok) {
        if (child.connected) child.disconnect();
        child.unref();
      }
      resolve(r);
    };
    child.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
        settle(ok({ pid: child.pid ?? 0, ready: true }));
      }
    });
    child.once('error', (e) => {
      settle(err({ kind: 'spawn-failed', message: e.message }));
    });
    child.once('exit', (code, signal) => {
      settle(
        err({
          kind: 'child-exited',
          code,
          signal,
          logTail: tailSince(o.logFile, offset, o.tailLines ?? 20),
        }),
      );
    });
  });
}
