// startPipeline's stand-ins for unit tests: a fake clock, a stub watcher per root, a stub sync
// service whose runs the test settles, and a root look the test changes (no inotify, no rsync, no
// real watch root). Records the order in which the pipeline touched them.
import type { Config } from '../../src/config/types.js';
import type { PipelineDeps } from '../../src/pipeline.js';
import type { RootLook } from '../../src/pipeline/root-guard.js';
import type { SyncService } from '../../src/pipeline/sync-service.js';
import type { Batch, BatchOutcome } from '../../src/queue/types.js';
import { err, ok } from '../../src/util/result.js';
import type { WatchHandlers } from '../../src/watch/create-watcher.js';
import type { Watcher } from '../../src/watch/fs-event.js';
import { testConfig } from './config-fixture.js';
import { FakeClock, deferred, type Deferred } from './fake-clock.js';
import { join } from 'node:path';

/** A directory look: device 2049 (8:1), its parent on the same device, with entries. */
export const DIR_LOOK: Extract<RootLook, { kind: 'dir' }> = {
  kind: 'dir',
  dev: 2049,
  ino: 100,
  parentDev: 2049,
  hasEntries: true,
};

/** testConfig for `roots` with its state directory and fail log in `stateDir`. */
export function harnessConfig(
  stateDir: string,
  roots: readonly string[],
  daemon: Partial<Config['daemon']> = {},
): Config {
  const c = testConfig({ roots: [...roots] });
  return {
    ...c,
    sersync: {
      ...c.sersync,
      failLog: { ...c.sersync.failLog, stateDir, path: join(stateDir, 'fail.sh') },
    },
    daemon: { ...c.daemon, ...daemon },
  };
}

export interface HarnessOptions {
  /** startWatcher fails with this kind (for every root). */
  readonly watchFails?: 'root-missing' | 'init-failed';
}

/** The stubs, and the order in which the pipeline touched them. */
export function harness(o: HarnessOptions = {}) {
  const clock = new FakeClock(1_000_000);
  const order: string[] = [];
  const runs: { batch: Batch; done: Deferred<BatchOutcome>; maxDelete: number | undefined }[] = [];
  /** What each root looks like (default DIR_LOOK); tests change it. */
  const looks = new Map<string, RootLook>();
  /** What counting each root's entries gives (default 1000). */
  const counts = new Map<string, number | null>();
  let handlers: WatchHandlers | undefined;
  const watcherFor = (roots: readonly string[]): Watcher => ({
    backend: 'inotify',
    watchCount: 3 * roots.length,
    start: () => Promise.resolve(),
    close: () => {
      order.push('watcher closed');
      return Promise.resolve();
    },
  });
  const deps: PipelineDeps = {
    clock,
    lookAt: (root) => looks.get(root) ?? DIR_LOOK,
    countEntries: (root) => Promise.resolve(counts.has(root) ? (counts.get(root) ?? null) : 1000),
    startWatcher: (_config, roots, h) => {
      handlers = h;
      order.push(`watching ${roots.join(',')}`);
      return Promise.resolve(
        o.watchFails === undefined
          ? ok(watcherFor(roots))
          : err({ kind: o.watchFails, root: roots[0] ?? '', message: `cannot watch ${roots[0]}` }),
      );
    },
    createSyncService: (so): SyncService => ({
      runBatch: (batch) => {
        const done = deferred<BatchOutcome>();
        runs.push({ batch, done, maxDelete: so.maxDeleteFor?.(batch.target) });
        return done.promise.then((outcome) => {
          so.onRun?.(batch.target, outcome);
          return outcome;
        });
      },
      failLog: { outstanding: () => new Map(), inherited: () => [] },
      closePool: (force) => {
        order.push(`pool closed${force ? ' (forced)' : ''}`);
        return Promise.resolve();
      },
      flush: () => {
        order.push('fail log flushed');
        return Promise.resolve();
      },
    }),
  };
  const fire = (): WatchHandlers => {
    if (!handlers) throw new Error('the watcher was not started');
    return handlers;
  };
  return { clock, order, runs, deps, fire, looks, counts };
}
