// What a watcher backend reports: one FsEvent per file-system change, in the terms of sersync's
// eight <inotify> switches. Pure types.

/** The kinds, one per sersync `<inotify>` switch (createFile/createFolder are `create` + isDir). */
export type FsEventKind =
  'create' | 'closeWrite' | 'modify' | 'attrib' | 'delete' | 'moveFrom' | 'moveTo';

export const FS_EVENT_KINDS = [
  'create',
  'closeWrite',
  'modify',
  'attrib',
  'delete',
  'moveFrom',
  'moveTo',
] as const satisfies readonly FsEventKind[];

export interface FsEvent {
  readonly kind: FsEventKind;
  /** The watch root (absolute, as in Config.sersync.localpaths[i].watch). */
  readonly root: string;
  /** Path relative to the root, '/'-separated, no leading or trailing slash. Never empty. */
  readonly path: string;
  readonly isDir: boolean;
  /** inotify rename cookie (moveFrom/moveTo only; 0 or absent when unknown). */
  readonly cookie?: number;
  /**
   * True when the backend synthesised this event from a directory scan (a new or moved-in
   * directory's contents, found after its watch was added) rather than from the kernel.
   */
  readonly synthetic?: boolean;
  /**
   * On a file `create`: no close_write will follow, so the create is the only sign of the new
   * path — a symlink, fifo, socket or device node, a hard link to an existing file (nlink > 1),
   * or a backend that never reports close (@parcel/watcher). The filter then lets it through
   * when createFile OR closeWrite is on (sersync never synced new symlinks with createFile off).
   */
  readonly noCloseWrite?: boolean;
}

/** Why a watcher asks for a full resync of a root: it may have missed changes. */
export type RescanReason = 'overflow' | 'watch-limit' | 'root-lost' | 'backend-error';

export interface WatcherCallbacks {
  /** A batch of events, in kernel order. Called on the main thread. */
  onEvents(events: readonly FsEvent[]): void;
  /** Changes under `root` may have been lost; the daemon schedules a (rate-limited) full sync. */
  onRescan(root: string, reason: RescanReason, detail: string): void;
  /** A problem worth a log line that needs no resync (e.g. one directory vanished while being watched). */
  onWarning(message: string): void;
}

export interface WatcherOptions {
  /** Absolute watch roots. */
  readonly roots: readonly string[];
  /** True when `relPath` under `root` must not be watched nor reported (the `<filter>` excludes). */
  readonly isExcluded: (root: string, relPath: string, isDir: boolean) => boolean;
  /** `<fileSystem xfs>`: use stat() instead of d_type while walking (also when d_type is unknown). */
  readonly statWalk: boolean;
  /**
   * Kinds no consumer wants (their `<inotify>` switch is off): a backend may leave them unreported.
   * The inotify backend then does not ask the kernel for them at all, so a writer's every write()
   * (IN_MODIFY) costs nothing when only close_write syncs.
   */
  readonly unwantedKinds?: readonly ('modify' | 'attrib')[];
}

/** A watcher backend. `start()` resolves once every root is watched (recursively). */
export interface Watcher {
  readonly backend: 'inotify' | 'parcel';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Number of directories currently watched (for logs and /status). */
  readonly watchCount: number;
}

/** Why `Watcher.start()` rejected: an expected start-up failure (the daemon maps it to an exit code). */
export type WatcherStartFailure = 'root-missing' | 'init-failed' | 'backend-unavailable';

/** The error `Watcher.start()` rejects with (and `createWatcher` throws for an unavailable forced backend). */
export class WatcherStartError extends Error {
  override readonly name = 'WatcherStartError';
  constructor(
    readonly kind: WatcherStartFailure,
    /** The root concerned ('' when not root-specific). */
    readonly root: string,
    message: string,
  ) {
    super(message);
  }
}
