// The protocol between the pool (main thread) and the rsync worker thread: the task, the messages
// on its port and the result. Plain data only (structured-clone safe). Imported by both sides. Pure types.
//
//   pool ──task {job, port, progress}──▶ worker
//   worker ──{kind:'spawned', pid}──▶ pool      (the rsync process group, for a forced close)
//   worker ──{kind:'progress', files, bytes}──▶ pool   (throttled, full syncs that asked for it)
//   pool ──{kind:'kill'}──▶ worker               (stop now: a queued job does not spawn)
//   worker ──RunResult──▶ pool (the task's return value; expected failures are values)
import type { MessagePort } from 'node:worker_threads';
import type { RegexRule } from '../config/types.js';
import type { RunStamps } from '../queue/types.js';

/** What the run is: a full sync, a path batch (list on stdin) or a rename run. */
export type SyncJobKind = 'full' | 'paths' | 'rename';

/** Everything a worker needs to run rsync once. */
export interface SyncJob {
  readonly kind: SyncJobKind;
  /** Unique per daemon run; used in logs and to kill the child. */
  readonly id: number;
  /** The rsync executable (normally "rsync"; tests point it at a stub). */
  readonly rsyncPath: string;
  /** Full argv after the executable, built by sync/argv.ts. Never passed through a shell. */
  readonly argv: readonly string[];
  /** Working directory: the watch root (paths in `paths` are relative to it). */
  readonly cwd: string;
  /** Paths relative to the root, written NUL-separated to rsync's stdin (`--files-from=-`). Empty for a full sync. */
  readonly paths: readonly string[];
  /**
   * When set, the worker walks these directories (relative to cwd, '' = the root) with the
   * watcher's walk and exclude verdict (watch/exclude-match.ts `matchesExcludePath`, the same
   * `<filter>` rules, the same `<fileSystem xfs>` setting) and hands rsync the fewest anchored
   * `--exclude-from` patterns with that verdict (exclude-rules.ts), so regex excludes hold inside
   * recursive directory syncs.
   */
  readonly excludeWalk?: ExcludeWalk;
  /** Kill rsync after this many ms with no bytes on its stdout/stderr and no I/O (watchdog.ts; 0 = never); never for its length. */
  readonly timeoutMs: number;
}

export interface ExcludeWalk {
  readonly dirs: readonly string[];
  /** The `<filter>` exclude rules (RegExp survives the thread boundary). */
  readonly rules: readonly RegexRule[];
  /** `<fileSystem xfs>`: lstat every entry instead of trusting d_type. */
  readonly statWalk: boolean;
}

/** How rsync ended. Failures are values, not throws. */
export type RunOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  | { readonly kind: 'spawn-error'; readonly message: string }
  | { readonly kind: 'timed-out' };

export interface RunResult {
  readonly id: number;
  readonly outcome: RunOutcome;
  /** Wall time of the task (exclude walk included), measured once, by the worker. */
  readonly durationMs: number;
  /** Bounded tail of rsync's stderr (error lines, for the log). */
  readonly stderrTail: string;
  /**
   * rsync's stderr line that says what went wrong (sync/rsync-cause.ts: a known permanent cause's
   * line, else the first meaningful one), read from the whole stderr (not only the tail). For
   * /status and /healthz; the logger and the status server redact known secrets in it as anywhere.
   */
  readonly errorLine?: string;
  /** Paths rsync named in `rsync: …"path"…` error lines, relative to cwd when possible (for per-file retry). */
  readonly failedPaths: readonly string[];
  /** Items rsync reported through `--out-format` (`send a/b`, `del. a/c`), count only. */
  readonly itemsReported: number;
  /** Sizes of the files sent (the `%l` of each sent file, OUT_FORMAT). */
  readonly bytes: number;
  /** When the stages of the run happened (the bench's --logs shows them; absent when rsync did not start). */
  readonly stamps?: RunStamps;
}

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
 */
export type ToPool =
  | { readonly kind: 'spawned'; readonly pid: number }
  | { readonly kind: 'progress'; readonly files: number; readonly bytes: number };
/** pool -> worker: kill the run. */
export type ToWorker = { readonly kind: 'kill' };

/** The most often a running job posts `progress`. */
export const PROGRESS_INTERVAL_MS = 500;
/** After SIGTERM, how long a process group gets before SIGKILL (worker timeout and pool close). */
export const KILL_GRACE_MS = 2000;
