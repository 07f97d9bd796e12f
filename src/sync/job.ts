// The unit of work handed to a worker thread: one batch of paths for one remote of one root.
// Plain data only (structured-clone safe: it crosses into a piscina worker). Pure types.

/** Everything a worker needs to run rsync once. */
export interface SyncJob {
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
   * When set, the worker walks these directories (relative to cwd, '' = the root) before running
   * rsync and writes every path matching one of `excludeRegexes` (full match, sources of RegExp)
   * to a temporary `--exclude-from` file, so regex excludes hold inside recursive directory syncs.
   */
  readonly excludeWalk?: {
    readonly dirs: readonly string[];
    readonly excludeRegexes: readonly string[];
  };
  /** Kill rsync after this many ms (0 = never). */
  readonly timeoutMs: number;
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
  readonly durationMs: number;
  /** Bounded tail of rsync's stderr (error lines, for the log). */
  readonly stderrTail: string;
  /** Paths rsync named in `rsync: …"path"…` error lines, relative to cwd when possible (for per-file retry). */
  readonly failedPaths: readonly string[];
  /** Items rsync reported through `--out-format` (`send a/b`, `del. a/c`), count only. */
  readonly itemsReported: number;
}
