// The root side of one pipeline, assembled: the records, one watcher per root, the root keeper
// (waiting, re-watching, holding full syncs), the guard around the runs, and what the last run
// left unsynced, queued per root once the root is fit to sync from. Shell.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Batch, BatchOutcome, Change } from '../queue/types.js';
import type { Clock } from '../util/clock.js';
import { startWatcher, type WatchHandlers } from '../watch/create-watcher.js';
import type { DurableQueue } from './durable-queue.js';
import { createGuardedRuns, type GuardedRuns } from './guarded-runs.js';
import type { RootLook } from './root-guard.js';
import { RootKeeper } from './root-keeper.js';
import { countEntries, lookAt } from './root-probe.js';
import { openRootRecords } from './root-records.js';
import { createRootWatches, type RootWatches } from './root-watches.js';
import type { SyncService } from './sync-service.js';
import type { SyncTargets } from './targets.js';

export interface RootWiringOptions {
  readonly config: Config;
  readonly targets: SyncTargets;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly queue: DurableQueue;
  readonly failLog: SyncService['failLog'];
  readonly runBatch: (batch: Batch) => Promise<BatchOutcome>;
  readonly handlers: WatchHandlers;
  /** Test stand-ins (the defaults are the real ones). */
  readonly deps: {
    readonly startWatcher?: typeof startWatcher;
    readonly lookAt?: (root: string) => RootLook;
    readonly countEntries?: (root: string) => Promise<number | null>;
  };
  readonly acceptRoots: boolean;
  readonly pollMs: number | undefined;
}

export interface RootWiring {
  readonly keeper: RootKeeper;
  readonly guarded: GuardedRuns;
  readonly watches: RootWatches;
}

export function wireRoots(o: RootWiringOptions): RootWiring {
  const { config, targets, clock, logger } = o;
  const look = o.deps.lookAt ?? lookAt;
  const excludes = config.filter.enabled ? config.filter.excludes : [];
  const count = o.deps.countEntries ?? ((root) => countEntries(root, excludes, config.xfs));
  const records = openRootRecords(config.sersync.failLog.stateDir, logger);
  const watches = createRootWatches(
    config,
    o.handlers,
    logger,
    o.deps.startWatcher ?? startWatcher,
  );
  const leftovers = leftoversOf(o.queue, o.failLog, targets, logger);
  const keeper = new RootKeeper({
    ...{ config, roots: targets.roots, clock, logger, watches, records, lookAt: look },
    ...{ addFull: o.queue.addFull, countEntries: count, accept: o.acceptRoots },
    hasLeftovers: (root) => leftovers.has(root),
    replay: (root) => {
      leftovers.replay(root);
    },
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
  });
  const guarded = createGuardedRuns({
    ...{ keeper, records, lookAt: look, countEntries: count, clock, logger },
    count: config.inotify.delete && config.daemon.rootGuard,
    label: (b) => targets.label(b.target),
    runBatch: o.runBatch,
  });
  return { keeper, guarded, watches };
}

/**
 * What the last run left unsynced (journal, fail log), per root, queued when the root keeper
 * finds the root fit to sync from (never from a root that looks unmounted: a listed path missing
 * there would be deleted at the target).
 */
function leftoversOf(
  queue: DurableQueue,
  failLog: SyncService['failLog'],
  targets: SyncTargets,
  logger: Logger,
): { has(root: string): boolean; replay(root: string): void } {
  const roots = queue.leftoverRoots();
  // Entries already in the fail log (sersync2's before the switch, or ours) are queued again.
  const inherited = new Map<string, Change[]>();
  for (const c of failLog.inherited(targets.all)) {
    inherited.set(c.change.root, [...(inherited.get(c.change.root) ?? []), c.change]);
    roots.add(c.change.root);
  }
  return {
    has: (root) => roots.has(root),
    replay(root) {
      const replayed = queue.replay(root);
      if (replayed > 0)
        logger.info(
          `journal: ${replayed} change(s) left unsynced by the previous run were queued again (${root})`,
        );
      const changes = inherited.get(root) ?? [];
      inherited.delete(root);
      if (changes.length > 0)
        logger.info(`fail log: ${changes.length} path(s) queued again (${root})`);
      for (const c of changes) queue.add(c);
    },
  };
}
