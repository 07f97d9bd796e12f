// Process exit codes (sysexits-style), in one place. Documented in docs/exit-codes.md.
// systemd units use RestartPreventExitStatus so configuration problems do not restart-loop.

export const ExitCode = {
  /** Clean shutdown on SIGTERM/SIGINT; `--check` found no error; `-h`, `--version`. */
  OK: 0,
  /** Bad command-line flags (unknown option, `-n abc`, missing value). */
  USAGE: 64,
  /** The config file does not exist or cannot be read. */
  NO_INPUT: 66,
  /** inotify could not be started (e.g. fs.inotify.max_user_instances reached). */
  WATCH_FAILED: 71,
  /** `-m command`: its watch root does not exist (the daemon waits for a missing root instead). */
  NO_ROOT: 72,
  /** The state directory (`<failLog stateDir>`, the journal) cannot be created, read or written. */
  STATE_DIR: 74,
  /** rsync is not installed (or older than 3.1) or not executable. */
  UNAVAILABLE: 69,
  /** Internal error: a bug. Logged with its stack; the supervisor may restart. */
  SOFTWARE: 70,
  /** Another instance already runs with the same pid file. */
  CANT_CREATE: 73,
  /** The config file has errors (each printed with file:line:col). Nothing was started. */
  CONFIG: 78,
  /** The watcher backend the config forces (`inotify`) cannot be loaded (not Linux, addon not built). */
  NO_BACKEND: 79,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
