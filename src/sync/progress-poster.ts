// The worker's progress messages: the output tally's {files, bytes} posted to the pool at most
// every PROGRESS_INTERVAL_MS and once at the end (full syncs whose caller asked). Shell (timers).
import type { MessagePort } from 'node:worker_threads';
import { PROGRESS_INTERVAL_MS, type ToPool } from './protocol.js';
import type { OutputTally } from './rsync-output.js';
import { systemClock } from '../util/clock.js';

/** Posts the tally's {files, bytes} through `post` at most every PROGRESS_INTERVAL_MS, and once at the end. */
export function progressPoster(
  tally: OutputTally,
  post: (files: number, bytes: number) => void,
): { changed(): void; flush(): void } {
  let posted = { files: 0, bytes: 0 };
  let lastPostAt = -Infinity;
  let pending: (() => void) | undefined;
  const send = (): void => {
    pending = undefined;
    lastPostAt = performance.now();
    if (tally.files === posted.files && tally.bytes === posted.bytes) return;
    posted = { files: tally.files, bytes: tally.bytes };
    post(posted.files, posted.bytes);
  };
  return {
    changed() {
      const wait = lastPostAt + PROGRESS_INTERVAL_MS - performance.now();
      if (wait <= 0) send();
      else pending ??= systemClock.setTimeout(send, wait);
    },
    flush() {
      pending?.();
      send();
    },
  };
}

/** Progress messages of a full sync to the pool, when it listens. */
export function posterTo(port: MessagePort | undefined, tally: OutputTally) {
  if (port === undefined) return undefined;
  return progressPoster(tally, (files, bytes) => {
    port.postMessage({ kind: 'progress', files, bytes } satisfies ToPool);
  });
}
