// The one place an rsync process group is stopped: SIGTERM, then SIGKILL after a grace period
// unless it is gone by then. Used by the worker (timeout, 'kill' from the pool) and by the pool
// (a forced close whose worker thread does not answer). Shell (signals).
import type { Clock } from '../util/clock.js';

/** Sends `sig` to the process group `pgid`; false when it is already gone (ESRCH). */
export function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the group now, SIGKILL after `graceMs` unless `gone()` says it exited meanwhile.
 * Returns a function that cancels the pending SIGKILL (call it once the child has exited).
 */
export function terminateGroup(
  pgid: number,
  graceMs: number,
  clock: Pick<Clock, 'setTimeout'>,
  gone: () => boolean = () => false,
): () => void {
  if (gone() || !signalGroup(pgid, 'SIGTERM')) return () => undefined;
  return clock.setTimeout(() => {
    if (!gone()) signalGroup(pgid, 'SIGKILL');
  }, graceMs);
}
