// At most one write per interval: changes mark the state dirty and arm one timer; flush() writes
// at once. Shell over an injected clock.
import type { Clock } from '../util/clock.js';

export interface WriteThrottle {
  /** Something changed: a write happens once the interval since the last one has passed. */
  changed(): void;
  /** Writes now if anything changed; the error of the last write, if it failed. */
  flush(): Error | undefined;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** `write` throws on failure: `onFailure` hears of it, and the next change writes again. */
export function createWriteThrottle(
  clock: Clock,
  minIntervalMs: number,
  write: () => void,
  onFailure: (e: Error) => void,
): WriteThrottle {
  let dirty = false;
  let cancel: (() => void) | undefined;
  let lastWriteAt = -Infinity;
  let lastError: Error | undefined;
  const writeNow = (): void => {
    cancel?.();
    cancel = undefined;
    if (!dirty) return;
    dirty = false;
    lastWriteAt = clock.now();
    try {
      write();
      lastError = undefined;
    } catch (e) {
      lastError = asError(e);
      onFailure(lastError);
    }
  };
  return {
    changed() {
      dirty = true;
      if (cancel !== undefined) return;
      cancel = clock.setTimeout(writeNow, Math.max(0, lastWriteAt + minIntervalMs - clock.now()));
    },
    flush() {
      writeNow();
      return lastError;
    },
  };
}
