// Chooses and builds the watcher backend: the native inotify binding on Linux when it loads,
// @parcel/watcher otherwise or when asked for. Shell (loads a native addon, logs the choice).
import type { Logger } from '../log.js';
import {
  WatcherStartError,
  type Watcher,
  type WatcherCallbacks,
  type WatcherOptions,
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
