// Portable watcher backend over @parcel/watcher, for hosts without the inotify binding. It cannot
// honour closeWrite/modify/attrib separately, move cookies, overflow or watch-limit detection
// (docs/watchers.md lists every gap). Names are bytes, but parcel reports UTF-8 strings (U+FFFD
// where a name's bytes are not UTF-8): such a path is resolved by a lossless re-read of the
// directories along it (lossy-names.ts) and what is there is queued instead. Shell.
import { lstat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { AsyncSubscription, Event as ParcelEvent } from '@parcel/watcher';
import type { Logger } from '../log.js';
import {
  WatcherStartError,
  type FsEvent,
  type Watcher,
  type WatcherCallbacks,
  type WatcherOptions,
} from './fs-event.js';
import { walk } from './walk.js';
import { parentOf, resolveLossy } from './lossy-names.js';
import { displayName, fsPath, hasRawBytes, mayBeLossy } from '../util/byte-names.js';

type Subscription = AsyncSubscription;

type ParcelModule = typeof import('@parcel/watcher');
let parcelModule: Promise<ParcelModule> | undefined;
/**
 * @parcel/watcher, imported on the first subscribe: a service on the inotify backend never loads
 * it (~7 MB of RSS with node's CommonJS loader, issue 16).
 */
function loadParcel(): Promise<ParcelModule> {
  parcelModule ??= import('@parcel/watcher').then(
    (m: ParcelModule & { default?: ParcelModule }) => m.default ?? m,
  );
  return parcelModule;
}

async function isDirectory(abs: string): Promise<boolean | undefined> {
  try {
    return (await lstat(fsPath(abs))).isDirectory();
  } catch {
    return undefined; // gone again: a short-lived path
  }
}

/**
 * @parcel/watcher backend. Mapping: create -> create (isDir by lstat), update -> closeWrite,
 * delete -> delete (isDir always false). A new directory is scanned and its entries reported as
 * synthetic creates, but parcel may never watch its subdirectories (upstream #97): only a
 * resubscribe or a full sync catches up there. `watchCount` counts the directories found at start.
 */
export class ParcelWatcher implements Watcher {
  readonly backend = 'parcel' as const;
  readonly #opts: WatcherOptions;
  readonly #cb: WatcherCallbacks;
  readonly #log: Logger;
  readonly #subs = new Map<string, Subscription>();
  /** Directories found under each root by the last (re)subscribe, plus new ones scanned since. */
  readonly #dirs = new Map<string, number>();
  #closed = false;
  /** Per root, event handling is serialised so synthetic creates follow their directory's event. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(opts: WatcherOptions, cb: WatcherCallbacks, logger: Logger) {
    this.#opts = opts;
    this.#cb = cb;
    this.#log = logger;
  }

  get watchCount(): number {
    let n = 0;
    for (const d of this.#dirs.values()) n += d;
    return n;
  }

  async start(): Promise<void> {
    try {
      for (const root of this.#opts.roots) await this.#subscribe(root);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subs = [...this.#subs.values()];
    this.#subs.clear();
    // unsubscribe can reject with EINVAL after a big rm -rf (upstream #129): nothing to do then.
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => undefined)));
    await Promise.all(this.#chains.values());
  }

  async #subscribe(root: string): Promise<void> {
    if (hasRawBytes(root)) {
      throw new WatcherStartError(
        'init-failed',
        root,
        `cannot watch ${displayName(root)} with @parcel/watcher: it takes only UTF-8 paths (the inotify backend watches any name)`,
      );
    }
    if ((await isDirectory(root)) !== true) {
      throw new WatcherStartError(
        'root-missing',
        root,
        `cannot watch ${root}: not a directory or missing`,
      );
    }
    // Excluded directories present now are passed to parcel as absolute ignore paths, so they get no
    // watch; directories that become excluded later are still watched, their events filtered here.
    const ignore: string[] = [];
    const stats = await walk({
      root,
      statWalk: this.#opts.statWalk,
      isExcluded: (p, d) => {
        const x = this.#opts.isExcluded(root, p, d);
        if (x && d) ignore.push(`${root}/${p}`);
        return x;
      },
    });
    this.#dirs.set(root, stats.dirs);
    const parcel = await loadParcel();
    const sub = await parcel.subscribe(
      root,
      (error, events) => {
        this.#enqueue(root, error, events);
      },
      { ignore, ...(process.platform === 'linux' ? { backend: 'inotify' as const } : {}) },
    );
    if (this.#closed) await sub.unsubscribe().catch(() => undefined);
    else this.#subs.set(root, sub);
  }

  #enqueue(root: string, error: Error | null, events: ParcelEvent[]): void {
    if (this.#closed) return;
    const prev = this.#chains.get(root) ?? Promise.resolve();
    const next = prev
      .then(() => this.#handle(root, error, events))
      .catch((e: unknown) => {
        process.nextTick(() => {
          throw e;
        });
      });
    this.#chains.set(root, next);
  }

  async #handle(root: string, error: Error | null, events: readonly ParcelEvent[]): Promise<void> {
    if (error) {
      // e.g. "Unable to poll: Interrupted system call" (upstream #253): the subscription may be dead.
      this.#log.error(
        `@parcel/watcher failed under ${root}: ${error.message}; resubscribing and requesting a full sync`,
      );
      this.#cb.onRescan(root, 'backend-error', error.message);
      await this.#resubscribe(root);
    }
    const out: FsEvent[] = [];
    for (const ev of events) {
      if (this.#closed) return;
      const rel = relative(root, ev.path).split(sep).join('/');
      if (rel === '') {
        if (ev.type === 'delete')
          this.#cb.onRescan(root, 'root-lost', `the watch root ${root} was deleted or moved`);
        continue;
      }
      if (rel.startsWith('../')) continue;
      if (mayBeLossy(rel)) {
        await this.#lossy(root, rel, ev.type, out);
        continue;
      }
      const isDir = ev.type === 'delete' ? false : ((await isDirectory(ev.path)) ?? false);
      if (this.#opts.isExcluded(root, rel, isDir)) continue;
      const kind = ev.type === 'create' ? 'create' : ev.type === 'update' ? 'closeWrite' : 'delete';
      // parcel never reports close: a file create may be the only event of a complete file.
      out.push(
        kind === 'create' && !isDir
          ? { kind, root, path: rel, isDir, noCloseWrite: true }
          : { kind, root, path: rel, isDir },
      );
      if (kind === 'create' && isDir) await this.#scanNewDir(root, rel, out);
    }
    if (out.length > 0 && !this.#closed) this.#cb.onEvents(out);
  }

  /**
   * A path parcel reported lossily (a name that is not UTF-8): a create or update queues the
   * entries that answer to it now (a directory scanned like a new one); a delete queues its parent
   * directory as a whole (a recursive sync with --delete drops the gone name on the target), and a
   * delete directly in the root, whose name cannot be known, requests a full sync of the root.
   */
  async #lossy(
    root: string,
    rel: string,
    type: ParcelEvent['type'],
    out: FsEvent[],
  ): Promise<void> {
    if (type === 'delete') {
      const parent = parentOf(rel);
      const dirs = parent === '' ? [''] : await resolveLossy(root, parent);
      for (const dir of dirs) {
        if (dir !== '') {
          if (!this.#opts.isExcluded(root, dir, true))
            out.push({ kind: 'create', root, path: dir, isDir: true, synthetic: true });
        } else
          this.#cb.onRescan(
            root,
            'backend-error',
            `@parcel/watcher reported the delete of a name that is not UTF-8 in ${displayName(root)} without its bytes`,
          );
      }
      return;
    }
    for (const path of await resolveLossy(root, rel)) {
      const isDir = await isDirectory(`${root}/${path}`);
      if (isDir === undefined || this.#opts.isExcluded(root, path, isDir)) continue;
      if (type === 'update') out.push({ kind: 'closeWrite', root, path, isDir });
      else
        out.push({ kind: 'create', root, path, isDir, ...(isDir ? {} : { noCloseWrite: true }) });
      if (type === 'create' && isDir) await this.#scanNewDir(root, path, out);
    }
  }

  /** Mitigates parcel's mkdir -p / mv-in / cp -r loss: report what a new directory already holds. */
  async #scanNewDir(root: string, rel: string, out: FsEvent[]): Promise<void> {
    const stats = await walk({
      root,
      start: rel,
      statWalk: this.#opts.statWalk,
      isExcluded: (p, d) => this.#opts.isExcluded(root, p, d),
      onEntry: (e) =>
        out.push({ kind: 'create', root, path: e.relPath, isDir: e.isDir, synthetic: true }),
    });
    this.#dirs.set(root, (this.#dirs.get(root) ?? 0) + stats.dirs);
  }

  async #resubscribe(root: string): Promise<void> {
    const old = this.#subs.get(root);
    this.#subs.delete(root);
    await old?.unsubscribe().catch(() => undefined);
    if (this.#closed) return;
    try {
      await this.#subscribe(root);
    } catch (e) {
      this.#cb.onWarning(
        `cannot resubscribe ${root}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
}
