// What asks for a full sync of a root, besides `-r` and the catch-up at start: the watcher when it
// may have lost events (rate-limited per root), the `<crontab>` timer, and the `<failLog
// timeToExecute>` re-run of what the fail log still holds. Shell (timers from an injected Clock).
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Change } from '../queue/types.js';
import type { Clock } from '../util/clock.js';
import type { RescanReason } from '../watch/fs-event.js';
import type { SyncTargets } from './targets.js';

/** Minimum time between two full syncs of one root requested by the watcher (overflow, watch limit). */
export const RESCAN_MIN_INTERVAL_MS = 10_000;

export type FullSyncReason = RescanReason | 'rsync-first' | 'catch-up' | 'crontab';

export interface FullSyncTriggers {
  /** Queues a full sync of `root` now, or (a watcher rescan too soon after the last one) later. */
  request(root: string, why: FullSyncReason): void;
  /** Starts the crontab and the fail-log re-run timers. */
  arm(): void;
  /** Cancels every timer (crontab, fail-log re-run, delayed rescans). */
  cancel(): void;
}

export interface TriggerOptions {
  readonly config: Config;
  readonly targets: SyncTargets;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly addFull: (root: string) => void;
  /** Queues a change (the fail-log re-run). */
  readonly add: (change: Change) => void;
  /** The fail log's outstanding paths per target key. */
  readonly failLog: { outstanding(): Map<string, Map<string, number>> };
  /** Overrides `<crontab schedule>` (tests). */
  readonly crontabIntervalMs?: number;
}

/** The triggers of one pipeline; request() serves the watcher and start-up, arm() starts the timers. */
export function createFullSyncTriggers(o: TriggerOptions): FullSyncTriggers {
  const { clock, logger } = o;
  const lastRescan = new Map<string, number>();
  const cancels: (() => void)[] = [];
  const request = (root: string, why: FullSyncReason): void => {
    const now = clock.now();
    const wait = Math.max(0, (lastRescan.get(root) ?? -Infinity) + RESCAN_MIN_INTERVAL_MS - now);
    if (why !== 'crontab' && why !== 'rsync-first' && why !== 'catch-up')
      lastRescan.set(root, now + wait);
    logger.info(
      `full sync of ${root} queued (${why})${wait > 0 ? ` in ${Math.ceil(wait / 1000)} s` : ''}`,
    );
    if (wait === 0) o.addFull(root);
    else
      cancels.push(
        clock.setTimeout(() => {
          o.addFull(root);
        }, wait),
      );
  };
  return {
    request,
    arm() {
      armCrontab(o, cancels, request);
      armFailLogRerun(o, cancels);
    },
    cancel() {
      for (const c of cancels) c();
    },
  };
}

/** Calls `tick` every `ms` until cancelled (through `cancels`). */
function every(clock: Clock, ms: number, cancels: (() => void)[], tick: () => void): void {
  let cancel = (): void => undefined;
  const run = (): void => {
    tick();
    cancel = clock.setTimeout(run, ms);
  };
  cancel = clock.setTimeout(run, ms);
  cancels.push(() => {
    cancel();
  });
}

function armCrontab(
  o: TriggerOptions,
  cancels: (() => void)[],
  request: (root: string, why: 'crontab') => void,
): void {
  const cron = o.config.sersync.crontab;
  if (cron.disabledReason !== undefined) o.logger.warn(`crontab is off: ${cron.disabledReason}`);
  if (!cron.enabled || cron.disabledReason !== undefined) return;
  const ms = o.crontabIntervalMs ?? cron.intervalMs;
  o.logger.info(
    `crontab: full sync of every root every ${ms >= 60_000 ? `${ms / 60_000} min` : `${ms} ms`}${cron.excludes.length > 0 ? ` excluding ${cron.excludes.join(' ')}` : ''}`,
  );
  every(o.clock, ms, cancels, () => {
    for (const root of o.targets.roots) request(root, 'crontab');
  });
}

/**
 * `<failLog timeToExecute>` keeps its sersync meaning: every that many minutes, everything still
 * in the fail log is tried again now, whatever its back-off (the back-off retries go on meanwhile).
 */
function armFailLogRerun(o: TriggerOptions, cancels: (() => void)[]): void {
  every(o.clock, o.config.sersync.failLog.retryIntervalMs, cancels, () => {
    let n = 0;
    for (const [key, paths] of o.failLog.outstanding()) {
      const target = o.targets.byKey(key);
      // The op does not matter: a listed path is sent if it exists and deleted if it does not.
      if (target)
        for (const path of paths.keys()) {
          o.add({ root: target.root, path, op: 'upsert', isDir: false });
          n++;
        }
    }
    if (n > 0) o.logger.info(`fail log: re-running ${n} outstanding path(s) (timeToExecute)`);
  });
}
