// Small shell helpers for the daemon: operator labels for targets and the signal waiter that
// keeps the process alive while the service runs.
import type { Config } from './config/types.js';
import type { Target } from './queue/types.js';

/** `user@127.0.0.1::module` or `127.0.0.1:path` (ssh), as an operator reads it in a log. */
export function remoteLabel(config: Config, target: Target): string {
  const lp = config.sersync.localpaths.find((l) => l.watch === target.root);
  const remote = lp?.remotes[target.remoteIndex];
  if (!remote) return `${target.root}#${target.remoteIndex}`;
  const { auth, ssh } = config.sersync.rsync;
  const user = auth.enabled && auth.users !== '' ? `${auth.users}@` : '';
  return `${user}${remote.ip}${ssh.enabled ? ':' : '::'}${remote.name}`;
}

export interface SignalWaiter {
  /** Resolves with the name of the next SIGTERM/SIGINT/SIGHUP received. */
  next(): Promise<string>;
  /** Removes the handlers and lets the process exit. */
  dispose(): void;
}

/**
 * Installs SIGTERM/SIGINT handlers and keeps the event loop alive until `dispose()`.
 * SIGHUP is treated as a stop request until config reload lands (documented in docs/compat.md).
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
