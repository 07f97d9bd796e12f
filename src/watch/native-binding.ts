// Loads the project's native addon (inotify + sd_notify) once, from the package root found relative
// to this file: build/Release/sersync_inotify.node when compiled at install, else the prebuilt copy
// for this platform in prebuilds/ (node-gyp-build picks it). Shell.
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

/** The package root, resolved once (works from src/, dist/src/ and dist-*\/src/). */
export const PACKAGE_ROOT: string = findPackageRoot() ?? process.cwd();

/** A child started by the addon's posix_spawn (native/spawn.cc): its pid and the parent's pipe ends. */
export interface NativeChild {
  readonly pid: number;
  readonly stdin: number;
  readonly stdout: number;
  readonly stderr: number;
}

/**
 * The addon's spawner: `cwd` is a directory fd or a path (bytes), `setsid` a new session and
 * process group; `onExit(code, signal)` runs on the calling thread once the child is reaped.
 * Returns the child or a negative errno (a value: -ENOENT for a missing program).
 */
export type NativeSpawn = (
  file: string | Buffer,
  argv: readonly (string | Buffer)[],
  cwd: number | string | Buffer | null,
  setsid: boolean,
  onExit: (code: number | null, signal: number | null) => void,
) => NativeChild | number;

/** The addon's exports as loaded (`sdNotify`, `spawn` are absent from builds that predate them). */
interface AddonModule extends Partial<InotifyBinding> {
  readonly supported?: boolean;
  readonly sdNotify?: (socketPath: string, state: string) => number;
  readonly spawn?: NativeSpawn;
}

const require = createRequire(import.meta.url);

/**
 * Where the addon is: build/Release/sersync_inotify.node when it was compiled here, else the
 * prebuilt prebuilds/<platform>-<arch>/*.node matching this machine (node-gyp-build's rules: libc
 * flavour, Node-API), else undefined with node-gyp-build's reason.
 */
export function findAddon(root: string = PACKAGE_ROOT): Result<string, string> {
  try {
    const ngb = require('node-gyp-build') as { path(dir: string): string };
    return ok(ngb.path(root));
  } catch (e) {
    return err((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '');
  }
}

let cachedModule: Result<AddonModule, BindingLoadError> | undefined;

/** Loads the addon once (whichever findAddon picks). Expected failures are values. */
function loadAddon(): Result<AddonModule, BindingLoadError> {
  cachedModule ??= loadAddonUncached();
  return cachedModule;
}

function loadAddonUncached(): Result<AddonModule, BindingLoadError> {
  if (process.platform !== 'linux') {
    return err({
      kind: 'unsupported-platform',
      message: `inotify is Linux-only (platform: ${process.platform})`,
    });
  }
  const found = findAddon();
  if (!found.ok) {
    return err({
      kind: 'addon-missing',
      message: `no native inotify addon in ${PACKAGE_ROOT} (${found.error}); install g++, make and python3, then reinstall the package (or run \`npx node-gyp rebuild\` in ${PACKAGE_ROOT})`,
    });
  }
  try {
    return ok(require(found.value) as AddonModule);
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    return err({
      kind: 'addon-load-failed',
      message: `cannot load ${found.value}: ${detail} (install g++, make and python3, then reinstall the package to compile it for this machine)`,
    });
  }
}

let cached: Result<InotifyBinding, BindingLoadError> | undefined;

/** Loads the addon on first use and caches the outcome. Expected failures are values. */
export function loadInotifyBinding(): Result<InotifyBinding, BindingLoadError> {
  cached ??= toInotify(loadAddon());
  return cached;
}

function toInotify(
  m: Result<AddonModule, BindingLoadError>,
): Result<InotifyBinding, BindingLoadError> {
  if (!m.ok) return m;
  const mod = m.value;
  if (mod.supported !== true || mod.open === undefined || mod.constants === undefined) {
    return err({
      kind: 'unsupported-platform',
      message: 'the native addon was built without inotify support',
    });
  }
  return ok({ open: mod.open, constants: mod.constants });
}

/**
 * The addon's sd_notify sender: `(socketPath, state) => 0 | -errno`, or why it is unavailable
 * (no addon; Node has no AF_UNIX datagram socket of its own).
 */
export function loadSdNotify(): Result<(socketPath: string, state: string) => number, string> {
  const m = loadAddon();
  if (!m.ok) return err(m.error.message);
  const send = m.value.sdNotify;
  return send === undefined ? err('the native addon has no sdNotify (rebuild it)') : ok(send);
}

/** The addon's posix_spawn spawner, or why it is unavailable (no addon, a build without it). */
export function loadNativeSpawn(): Result<NativeSpawn, string> {
  const m = loadAddon();
  if (!m.ok) return err(m.error.message);
  const spawn = m.value.spawn;
  return spawn === undefined ? err('the native addon has no spawn (rebuild it)') : ok(spawn);
}
