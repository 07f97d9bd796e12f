// Process exit codes (sysexits-style), in one place. Documented in docs/exit-codes.md.
// systemd units use RestartPreventExitStatus=64 66 69 78 so configuration problems do not restart-loop.

export const ExitCode = {
  /** Clean shutdown on SIGTERM/SIGINT; `--check` found no error; `-h`, `--version`. */
  OK: 0,
  /** A one-shot run (`-r` full push without watching) ended with failed rsync runs. */
  FAILURE: 1,
  /** Bad command-line flags (unknown option, `-n abc`, missing value). */
  USAGE: 64,
  /** The config file does not exist or cannot be read. */
  NO_INPUT: 66,
  /** rsync is not installed (or older than 3.1) or not executable. */
  UNAVAILABLE: 69,
  /** Internal error: a bug. Logged with its stack; the supervisor may restart. */
  SOFTWARE: 70,
  /** Another instance already runs with the same pid file. */
  CANT_CREATE: 73,
  /** The config file has errors (each printed with file:line:col). Nothing was started. */
  CONFIG: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
