// Loads the project's native inotify addon (build/Release/sersync_inotify.node, built by node-gyp at
// `npm ci`) once, from the package root found relative to this file. Shell.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../util/result.js';

/** One raw inotify record as read by the binding's reader thread. */
export interface RawInotifyEvent {
  readonly wd: number;
  readonly mask: number;
  readonly cookie: number;
  /** The entry name ('' for events on the watched directory itself); a Buffer when not valid UTF-8. */
  readonly name: string | Buffer;
}

/** An open inotify instance (its fd is CLOEXEC: rsync children never inherit it). */
export interface InotifyHandle {
  /** inotify_add_watch: the wd (>= 1), or a negative errno (never throws for ENOENT, ENOSPC, …). */
  addWatch(path: string | Buffer, mask: number): number;
  /** inotify_rm_watch: 0, or a negative errno (EINVAL when the kernel already dropped the wd). */
  rmWatch(wd: number): number;
  /** Stops and joins the reader thread and closes the fd. Idempotent. Batches already queued may still arrive. */
  close(): void;
  /** Test hook: queues an IN_Q_OVERFLOW record through the same path as kernel records. */
  simulateOverflow(): boolean;
}

/** The IN_* bits exported by the addon (values from <sys/inotify.h>). */
export interface InotifyConstants {
  readonly IN_ACCESS: number;
  readonly IN_MODIFY: number;
  readonly IN_ATTRIB: number;
  readonly IN_CLOSE_WRITE: number;
  readonly IN_CLOSE_NOWRITE: number;
  readonly IN_OPEN: number;
  readonly IN_MOVED_FROM: number;
  readonly IN_MOVED_TO: number;
  readonly IN_CREATE: number;
  readonly IN_DELETE: number;
  readonly IN_DELETE_SELF: number;
  readonly IN_MOVE_SELF: number;
  readonly IN_UNMOUNT: number;
  readonly IN_Q_OVERFLOW: number;
  readonly IN_IGNORED: number;
  readonly IN_ONLYDIR: number;
  readonly IN_DONT_FOLLOW: number;
  readonly IN_EXCL_UNLINK: number;
  readonly IN_MASK_ADD: number;
  readonly IN_ISDIR: number;
}

/** The addon's exports on Linux. */
export interface InotifyBinding {
  /**
   * Opens an instance; `onBatch` runs on the main thread with the records of one or more reads.
   * The reader never keeps the process alive. Throws (with `errno`) when inotify_init1 fails,
   * e.g. EMFILE at fs.inotify.max_user_instances.
   */
  open(onBatch: (events: RawInotifyEvent[]) => void): InotifyHandle;
  readonly constants: InotifyConstants;
}

/** Why the binding is unavailable. */
export interface BindingLoadError {
  readonly kind: 'unsupported-platform' | 'addon-missing' | 'addon-load-failed';
  readonly message: string;
}

/** The package root: the nearest ancestor of this file holding package.json and binding.gyp. */
function findPackageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Absolute path of the addon, resolved once (works from src/, dist/src/ and dist-*\/src/). */
export const ADDON_PATH: string = join(
  findPackageRoot() ?? process.cwd(),
  'build',
  'Release',
  'sersync_inotify.node',
);

let cached: Result<InotifyBinding, BindingLoadError> | undefined;

/** Loads the addon on first use and caches the outcome. Expected failures are values. */
export function loadInotifyBinding(): Result<InotifyBinding, BindingLoadError> {
  cached ??= load();
  return cached;
}

function load(): Result<InotifyBinding, BindingLoadError> {
  if (process.platform !== 'linux') {
    return err({
      kind: 'unsupported-platform',
      message: `inotify is Linux-only (platform: ${process.platform})`,
    });
  }
  if (!existsSync(ADDON_PATH)) {
    return err({
      kind: 'addon-missing',
      message: `native inotify addon not found at ${ADDON_PATH}; build it with \`npm ci\` or \`npx node-gyp rebuild\` in the package root (needs g++, make, python3)`,
    });
  }
  try {
    const require = createRequire(import.meta.url);
    const mod = require(ADDON_PATH) as { supported?: boolean } & Partial<InotifyBinding>;
    if (mod.supported !== true || mod.open === undefined || mod.constants === undefined) {
      return err({
        kind: 'unsupported-platform',
        message: `the addon at ${ADDON_PATH} was built without inotify support`,
      });
    }
    return ok({ open: mod.open, constants: mod.constants });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return err({
      kind: 'addon-load-failed',
      message: `cannot load ${ADDON_PATH}: ${detail} (rebuild: npx node-gyp rebuild)`,
    });
  }
}
