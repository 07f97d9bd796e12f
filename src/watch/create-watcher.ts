// Chooses, builds and starts the watcher backend: the native inotify binding on Linux when it
// loads, @parcel/watcher otherwise or when asked for. `startWatcher` is the one watcher start of
// the daemon and of `-m` plugin mode: config -> filter -> backend, started, or a typed failure.
// Shell (loads a native addon, logs the choice).
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Change } from '../queue/types.js';
import { err, ok, type Result } from '../util/result.js';
import { createEventFilter, unwantedKinds } from './filter.js';
import {
  WatcherStartError,
  type FsEvent,
  type RescanReason,
  type Watcher,
  type WatcherCallbacks,
  type WatcherOptions,
  type WatcherStartFailure,
} from './fs-event.js';
import { InotifyWatcher } from './inotify-watcher.js';
import { loadInotifyBinding } from './native-binding.js';
import { ParcelWatcher } from './parcel-watcher.js';

/** Which backend to use: 'auto' = inotify on Linux when the addon loads, else parcel. */
export type WatcherBackend = 'auto' | 'inotify' | 'parcel';

/**
 * Builds (does not start) a watcher. Logs one info line naming the backend and, for 'auto', why.
 * Throws WatcherStartError('backend-unavailable') when 'inotify' is forced but the binding cannot
 * be loaded (not Linux, addon not built): an explicit choice must not silently degrade.
 */
export function createWatcher(
  backend: WatcherBackend,
  opts: WatcherOptions,
  cb: WatcherCallbacks,
  logger: Logger,
): Watcher {
  switch (backend) {
    case 'parcel':
      logger.info(
        'watcher backend: parcel (@parcel/watcher, chosen by option; see docs/watchers.md for its limits)',
      );
      return new ParcelWatcher(opts, cb, logger);
    case 'inotify': {
      const b = loadInotifyBinding();
      if (!b.ok)
        throw new WatcherStartError(
          'backend-unavailable',
          '',
          `inotify backend unavailable: ${b.error.message}`,
        );
      logger.info('watcher backend: inotify (native binding, chosen by option)');
      return new InotifyWatcher(b.value, opts, cb, logger);
    }
    case 'auto': {
      const b = loadInotifyBinding();
      if (b.ok) {
        logger.info('watcher backend: inotify (native binding)');
        return new InotifyWatcher(b.value, opts, cb, logger);
      }
      const level = b.error.kind === 'unsupported-platform' ? 'info' : 'warn';
      logger[level](
        `watcher backend: parcel (@parcel/watcher) because ${b.error.message}; see docs/watchers.md for what it cannot honour`,
      );
      return new ParcelWatcher(opts, cb, logger);
    }
  }
}

/** Why the watches could not be put in place (the daemon maps `kind` to an exit code). */
export interface WatchStartFailure {
  readonly kind: WatcherStartFailure;
  /** The root concerned ('' when not root-specific). */
  readonly root: string;
  readonly message: string;
}

export interface WatchHandlers {
  /** One change the `<inotify>` switches and `<filter>` let through, with the event it came from. */
  onChange(change: Change, ev: FsEvent): void;
  /** Every event batch before filtering (metrics, debug lines). */
  onEvents?(events: readonly FsEvent[]): void;
  readonly onRescan: (root: string, reason: RescanReason, detail: string) => void;
}

/**
 * Builds the filter and the backend for `config`, watches `roots` and resolves once every root is
 * watched; a backend that is unavailable or a root that cannot be watched is a failure value.
 */
export async function startWatcher(
  config: Config,
  roots: readonly string[],
  handlers: WatchHandlers,
  logger: Logger,
): Promise<Result<Watcher, WatchStartFailure>> {
  const filter = createEventFilter(config);
  let watcher: Watcher | undefined;
  try {
    watcher = createWatcher(
      config.daemon.watcher,
      {
        roots,
        isExcluded: filter.isExcluded,
        statWalk: config.xfs,
        unwantedKinds: unwantedKinds(config.inotify),
      },
      {
        onEvents(events) {
          handlers.onEvents?.(events);
          for (const ev of events) {
            const change = filter.toChange(ev);
            if (change) handlers.onChange(change, ev);
          }
        },
        onRescan: handlers.onRescan,
        onWarning(message) {
          logger.warn(message);
        },
      },
      logger,
    );
    await watcher.start();
    return ok(watcher);
  } catch (e) {
    // createWatcher throws when the backend is unavailable; start() when a root cannot be watched.
    await watcher?.close().catch(() => undefined);
    if (e instanceof WatcherStartError)
      return err({ kind: e.kind, root: e.root, message: e.message });
    // Anything else the backend threw while setting up its watches (parcel's subscribe).
    const message = e instanceof Error ? e.message : String(e);
    return err({ kind: 'init-failed', root: '', message });
  }
}
