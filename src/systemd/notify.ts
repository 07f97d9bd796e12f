// sd_notify(3) for the service under systemd: READY=1 once every watch is in place, STOPPING=1
// when a stop begins, WATCHDOG=1 every WatchdogSec/2 while the event loop runs. Shell: the
// datagram goes out through the native addon (Node has no AF_UNIX datagram sockets). Without
// $NOTIFY_SOCKET (not Type=notify, not under systemd) every call does nothing.
import type { Logger } from '../log.js';
import { loadSdNotify } from '../watch/native-binding.js';
import type { Result } from '../util/result.js';

export interface SystemdNotifier {
  ready(): void;
  stopping(): void;
  /** Stops the watchdog timer. Idempotent. */
  close(): void;
}

type Send = (socketPath: string, state: string) => number;

/**
 * The watchdog ping interval in ms (half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises),
 * or undefined when no watchdog is asked of this process (WATCHDOG_PID names another). Pure.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env['WATCHDOG_USEC']);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const owner = env['WATCHDOG_PID'];
  if (owner !== undefined && owner !== '' && Number(owner) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** A notifier for this process. `load` is for tests (default: the native addon's sdNotify). */
export function createSystemdNotifier(
  env: NodeJS.ProcessEnv,
  logger: Pick<Logger, 'warn' | 'debug'>,
  load: () => Result<Send, string> = loadSdNotify,
): SystemdNotifier {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '')
    return { ready: () => undefined, stopping: () => undefined, close: () => undefined };
  const sender = load();
  if (!sender.ok)
    logger.warn(
      `NOTIFY_SOCKET is set but systemd cannot be notified: ${sender.error}; run the unit with Type=exec (sersync --systemd-unit does when the addon is missing)`,
    );
  let warned = false;
  const send = (state: string): void => {
    if (!sender.ok) return;
    const r = sender.value(socket, state);
    if (r === 0) {
      logger.debug(`sd_notify: ${state.replace(/\n/g, ' ')}`);
      return;
    }
    if (!warned)
      logger.warn(`sd_notify ${state.split('\n')[0] ?? ''} to ${socket} failed: errno ${-r}`);
    warned = true;
  };
  const every = watchdogIntervalMs(env, process.pid);
  const timer =
    every === undefined || !sender.ok
      ? undefined
      : setInterval(() => {
          send('WATCHDOG=1');
        }, every);
  timer?.unref();
  return {
    ready: () => {
      send('READY=1\nSTATUS=watching');
    },
    stopping: () => {
      send('STOPPING=1\nSTATUS=stopping');
    },
    close: () => {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
