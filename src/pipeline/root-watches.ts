// One watcher per watch root, so that one root can stop being watched (it vanished, or something
// was mounted over it) and be watched again while the others go on; and the one Watcher view of
// them all that the pipeline shows (backend, watch count, the overflow test hook). Shell.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { ok, type Result } from '../util/result.js';
import type {
  startWatcher as realStartWatcher,
  WatchHandlers,
  WatchStartFailure,
} from '../watch/create-watcher.js';
import type { Watcher } from '../watch/fs-event.js';

export interface RootWatches {
  /** All of them as one watcher (closing it closes every root's). */
  readonly watcher: Watcher & { simulateOverflow(): void };
  /** Watches `root` (recursively); a root that cannot be watched is a failure value. */
  start(root: string): Promise<Result<Watcher, WatchStartFailure>>;
  /** Stops watching `root` (no event of it is delivered after this resolves). */
  stop(root: string): Promise<void>;
  isWatched(root: string): boolean;
  /**
   * Chooses the backend without a root (when no root can be watched at start), so a forced
   * backend that is not available is still a start-up failure.
   */
  chooseBackend(): Promise<Result<void, WatchStartFailure>>;
}

export function createRootWatches(
  config: Config,
  handlers: WatchHandlers,
  logger: Logger,
  startWatcher: typeof realStartWatcher,
): RootWatches {
  const live = new Map<string, Watcher>();
  let placeholder: Watcher | undefined;
  let backend: Watcher['backend'] | undefined;
  // The backend is named once; the later starts (one per root) say it at debug level.
  const demoted = (level: 'warn' | 'info') => (m: string) => {
    if (m.startsWith('watcher backend:')) logger.debug(m);
    else logger[level](m);
  };
  const quiet: Logger = {
    level: logger.level,
    error: (m) => {
      logger.error(m);
    },
    warn: demoted('warn'),
    info: demoted('info'),
    debug: (m) => {
      logger.debug(m);
    },
  };
  const launch = async (roots: readonly string[]): Promise<Result<Watcher, WatchStartFailure>> => {
    const r = await startWatcher(config, roots, handlers, backend === undefined ? logger : quiet);
    if (r.ok) backend ??= r.value.backend;
    return r;
  };
  const watcher = {
    get backend(): Watcher['backend'] {
      return backend ?? 'inotify';
    },
    get watchCount(): number {
      let n = 0;
      for (const w of live.values()) n += w.watchCount;
      return n;
    },
    start: () => Promise.resolve(),
    async close(): Promise<void> {
      const all = [...live.values(), ...(placeholder ? [placeholder] : [])];
      live.clear();
      placeholder = undefined;
      await Promise.all(all.map((w) => w.close()));
    },
    simulateOverflow(): void {
      for (const w of live.values())
        (w as Watcher & { simulateOverflow?: () => void }).simulateOverflow?.();
    },
  };
  return {
    watcher,
    async start(root) {
      const r = await launch([root]);
      if (r.ok) live.set(root, r.value);
      return r;
    },
    async stop(root) {
      const w = live.get(root);
      live.delete(root);
      await w?.close();
    },
    isWatched: (root) => live.has(root),
    async chooseBackend() {
      if (backend !== undefined) return ok(undefined);
      const r = await launch([]);
      if (!r.ok) return r;
      placeholder = r.value;
      return ok(undefined);
    },
  };
}
