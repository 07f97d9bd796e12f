// Small shell helpers shared by the daemon and `-m` plugin mode: their context, the exit code of a
// start-up failure, and the signal waiter that keeps the process alive while the service runs.
import type { CliOptions } from './cli-args.js';
import type { Config } from './config/types.js';
import { ExitCode } from './exit-codes.js';
import type { Logger } from './log.js';
import type { StartFailure } from './pipeline/start-failure.js';
import { unreachable } from './util/unreachable.js';

/** What the daemon and `-m` plugin mode run with. */
export interface DaemonContext {
  readonly config: Config;
  readonly options: CliOptions;
  readonly logger: Logger;
  /** Called once every root is watched (the `-d` child reports readiness to its parent here). */
  readonly onReady?: () => void;
  /**
   * Called with the config a SIGHUP loaded, before the pipeline restarts with it: cli.ts makes the
   * logger redact the new config's secrets (and keep redacting the old ones).
   */
  readonly onConfig?: (config: Config) => void;
  /** Called once when a stop begins (SIGTERM/SIGINT): cli.ts sends systemd STOPPING=1 here. */
  readonly onStopping?: () => void;
}

/** The exit code of a start-up failure (docs/exit-codes.md). */
export function exitCodeFor(failure: StartFailure): ExitCode {
  switch (failure.kind) {
    case 'root-missing':
      return ExitCode.NO_ROOT;
    case 'init-failed':
      return ExitCode.WATCH_FAILED;
    case 'backend-unavailable':
      return ExitCode.NO_BACKEND;
    case 'state-dir':
      return ExitCode.STATE_DIR;
    default:
      return unreachable(failure);
  }
}

export interface SignalWaiter {
  /** Resolves with the name of the next SIGTERM/SIGINT/SIGHUP received. */
  next(): Promise<string>;
  /** Removes the handlers and lets the process exit. */
  dispose(): void;
}

/**
 * Installs SIGTERM/SIGINT/SIGHUP handlers and keeps the event loop alive until `dispose()`. What a
 * signal means is the caller's: the daemon stops on SIGTERM/SIGINT and reloads on SIGHUP.
 */
export function waitForShutdownSignal(): SignalWaiter {
  const queued: string[] = [];
  let waiting: ((sig: string) => void) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(sig);
    } else queued.push(sig);
  };
  const names: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const n of names) process.on(n, onSignal);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return {
    next: () =>
      new Promise<string>((resolve) => {
        const q = queued.shift();
        if (q !== undefined) resolve(q);
        else waiting = resolve;
      }),
    dispose() {
      for (const n of names) process.off(n, onSignal);
      clearInterval(keepAlive);
    },
  };
}
