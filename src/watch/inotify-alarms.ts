// The inotify backend's loud reports for one root: the watch limit (ENOSPC) and a lost root, each
// turned into an operator log line and, where events were lost, a rescan request with the sysctl
// to raise. Each is reported once (a limit again after it was relieved).
// Used by inotify-watcher.ts. Shell (logger and callbacks only).
import { constants as osConstants } from 'node:os';
import type { Logger } from '../log.js';
import { displayName } from '../util/byte-names.js';
import type { WatcherCallbacks } from './fs-event.js';
import { adviseWatchLimit } from './watch-limit.js';

/** The operator hints attached to rescan requests (never applied by us: no sysctl writes). */
export const SYSCTL_HINT = {
  watches: 'raise it: sysctl -w fs.inotify.max_user_watches=N (and persist in /etc/sysctl.d/)',
  queue: 'raise it: sysctl -w fs.inotify.max_queued_events=N (and persist in /etc/sysctl.d/)',
  instances: 'raise it: sysctl -w fs.inotify.max_user_instances=N (and persist in /etc/sysctl.d/)',
} as const;

const E = osConstants.errno;

/** `ENOENT` for 2, else `errno N`. */
export function errnoName(errno: number): string {
  const entry = Object.entries(E).find(([, v]) => v === errno);
  return entry ? entry[0] : `errno ${errno}`;
}

export class InotifyAlarms {
  readonly #root: string;
  readonly #cb: WatcherCallbacks;
  readonly #log: Logger;
  #rootLost = false;
  #limitReported = false;

  constructor(root: string, cb: WatcherCallbacks, log: Logger) {
    this.#root = root;
    this.#cb = cb;
    this.#log = log;
  }

  /** A new watch was added: the next time the limit is hit is reported again. */
  watchAdded(): void {
    this.#limitReported = false;
  }

  watchLimit(abs: string): void {
    if (this.#limitReported) return;
    this.#limitReported = true;
    const detail = SYSCTL_HINT.watches;
    this.#log.error(
      `inotify watch limit reached while adding ${displayName(abs)}: directories below it are not watched, a full sync of ${displayName(this.#root)} is requested; ${detail}`,
    );
    this.#cb.onRescan(this.#root, 'watch-limit', detail);
    // Then which value is needed: the root's directories counted, the sysctls read (watch-limit.ts).
    adviseWatchLimit(this.#root, displayName(this.#root)).then(
      (line) => {
        this.#log.error(line);
      },
      () => undefined,
    );
  }

  rootLost(): void {
    if (this.#rootLost) return;
    this.#rootLost = true;
    const detail = `the watch root ${displayName(this.#root)} was deleted, moved or unmounted; it is not synced from until it is back`;
    this.#log.error(detail);
    this.#cb.onRescan(this.#root, 'root-lost', detail);
  }
}
