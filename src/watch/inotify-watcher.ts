// Linux watcher backend over the project's native inotify binding: recursive watches, a scan of
// every new or moved-in directory right after its watch is added, rename fix-up by cookie, and
// IN_Q_OVERFLOW / ENOSPC / root loss turned into loud logs plus rescan requests
// (inotify-alarms.ts). Names are bytes: the binding hands a name that is not UTF-8 over as a
// Buffer, decoded here to a BytePath (util/byte-names.ts) and handled like any other. Shell.
import { lstatSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import {
  WatcherStartError,
  type FsEvent,
  type FsEventKind,
  type Watcher,
  type WatcherCallbacks,
  type WatcherOptions,
} from './fs-event.js';
import { errnoName, InotifyAlarms, SYSCTL_HINT } from './inotify-alarms.js';
import { simpleKinds, watchMask } from './inotify-mask.js';
import type { InotifyBinding, InotifyHandle, RawInotifyEvent } from './native-binding.js';
import { EVENTS_PER_CALL, WatchTree, type MovedFrom } from './inotify-tree.js';
import { decodeName, displayName, fsPath } from '../util/byte-names.js';
import { plural } from '../util/plural.js';
import { joinRel } from './watch-table.js';

export { SYSCTL_HINT } from './inotify-alarms.js';

const E = osConstants.errno;

/** The record's entry name as a BytePath (a Buffer only when it is not valid UTF-8). */
const nameOf = (r: RawInotifyEvent): string =>
  typeof r.name === 'string' ? r.name : decodeName(r.name);

/** Linux backend. One inotify instance per root, so an overflow names the root that lost events. */
export class InotifyWatcher implements Watcher {
  readonly backend = 'inotify' as const;
  readonly #roots: RootWatch[];

  constructor(binding: InotifyBinding, opts: WatcherOptions, cb: WatcherCallbacks, logger: Logger) {
    this.#roots = opts.roots.map((root) => new RootWatch(binding, root, opts, cb, logger));
  }

  get watchCount(): number {
    return this.#roots.reduce((n, r) => n + r.watchCount, 0);
  }

  /** Resolves when every root is watched recursively; rejects with WatcherStartError. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#roots.map((r) => r.start()));
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Stops the reader threads; no callback is called after this resolves. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.#roots.map((r) => r.close()));
  }

  /** Test hook: injects an IN_Q_OVERFLOW record into every root through the binding's delivery path. */
  simulateOverflow(): void {
    for (const r of this.#roots) r.simulateOverflow();
  }
}

class RootWatch {
  readonly #binding: InotifyBinding;
  readonly #root: string;
  readonly #opts: WatcherOptions;
  readonly #cb: WatcherCallbacks;
  readonly #log: Logger;
  readonly #tree: WatchTree;
  readonly #mask: number;
  /** SIMPLE_KINDS with the bits resolved once. */
  readonly #kinds: readonly (readonly [number, FsEventKind])[];
  readonly #alarms: InotifyAlarms;
  #handle: InotifyHandle | undefined;
  /** Batches are processed strictly one after another (a walk finishes before the next batch). */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    binding: InotifyBinding,
    root: string,
    opts: WatcherOptions,
    cb: WatcherCallbacks,
    log: Logger,
  ) {
    this.#binding = binding;
    this.#root = root;
    this.#opts = opts;
    this.#cb = cb;
    this.#log = log;
    this.#alarms = new InotifyAlarms(root, cb, log);
    this.#kinds = simpleKinds(binding.constants);
    this.#mask = watchMask(binding.constants, opts.unwantedKinds);
    this.#tree = new WatchTree(
      {
        root,
        opts,
        cb,
        alarms: this.#alarms,
        closed: () => this.#closed,
        emit: (out) => {
          this.#emit(out);
        },
      },
      this.#mask,
    );
  }

  get watchCount(): number {
    return this.#tree.table.size;
  }

  async start(): Promise<void> {
    try {
      this.#handle = this.#binding.open((batch) => {
        this.#enqueue(batch);
      });
      this.#tree.attach(this.#handle);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const hint = msg.includes('Too many open files') ? `; ${SYSCTL_HINT.instances}` : '';
      throw new WatcherStartError(
        'init-failed',
        this.#root,
        `cannot start inotify for ${displayName(this.#root)}: ${msg}${hint}`,
      );
    }
    const wd = this.#handle.addWatch(fsPath(this.#root), this.#mask);
    if (wd < 0) {
      if (-wd === E.ENOSPC) this.#alarms.watchLimit(this.#root);
      else
        throw new WatcherStartError(
          'root-missing',
          this.#root,
          `cannot watch ${displayName(this.#root)}: ${errnoName(-wd)}`,
        );
    } else {
      this.#tree.table.add(wd, '');
      const t0 = performance.now();
      this.#chain = this.#tree.walkFrom('', 'initial', []).then(() => undefined);
      await this.#chain;
      this.#log.info(
        `watching ${displayName(this.#root)}: ${plural(this.#tree.table.size, 'directory', 'directories')} (inotify, ${Math.round(performance.now() - t0)} ms)`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle?.close();
    await this.#chain.catch(() => undefined);
  }

  simulateOverflow(): void {
    this.#handle?.simulateOverflow();
  }

  #enqueue(batch: RawInotifyEvent[]): void {
    if (this.#closed) return;
    this.#chain = this.#chain
      .then(() => this.#process(batch))
      .catch((e: unknown) => {
        // A throw here is a bug: crash loudly (the daemon's last-chance handler exits 70).
        process.nextTick(() => {
          throw e;
        });
      });
  }

  #emit(out: FsEvent[]): void {
    if (out.length > 0 && !this.#closed) this.#cb.onEvents(out.splice(0));
  }

  async #process(batch: readonly RawInotifyEvent[]): Promise<void> {
    const c = this.#binding.constants;
    const out: FsEvent[] = [];
    const movedFrom = new Map<number, MovedFrom>();
    // Files written in this very batch (IN_MODIFY / IN_CLOSE_WRITE follow their IN_CREATE): their
    // create needs no lstat to tell it from a symlink or hard link (see #noCloseWrite).
    const written = new Set<string>();
    for (const r of batch)
      if ((r.mask & (c.IN_CLOSE_WRITE | c.IN_MODIFY)) !== 0) written.add(`${r.wd}/${nameOf(r)}`);
    for (const r of batch) {
      if (this.#closed) return;
      if (out.length >= EVENTS_PER_CALL) this.#emit(out);
      if ((r.mask & c.IN_Q_OVERFLOW) !== 0) {
        await this.#overflow(out);
        continue;
      }
      const dir = this.#tree.table.pathOf(r.wd);
      const selfBits = c.IN_IGNORED | c.IN_DELETE_SELF | c.IN_MOVE_SELF | c.IN_UNMOUNT;
      if (dir === undefined) {
        // Normal after a move-out or delete (the kernel still had records queued for those wds);
        // sersync crashed here (std::out_of_range).
        if ((r.mask & selfBits) === 0)
          this.#log.debug(
            `inotify: dropped an event for unknown wd ${r.wd} (mask 0x${r.mask.toString(16)})`,
          );
        continue;
      }
      if ((r.mask & selfBits) !== 0) {
        if (dir === '') this.#alarms.rootLost();
        else if ((r.mask & (c.IN_IGNORED | c.IN_DELETE_SELF)) !== 0)
          this.#tree.table.removeWd(r.wd);
        continue;
      }
      const name = nameOf(r);
      if (name === '') continue; // the directory's own change is reported by its parent's watch
      const path = joinRel(dir, name);
      const isDir = (r.mask & c.IN_ISDIR) !== 0;
      const excluded = this.#opts.isExcluded(this.#root, path, isDir);
      if ((r.mask & c.IN_MOVED_FROM) !== 0) {
        movedFrom.set(r.cookie, { path, isDir });
        if (!excluded)
          out.push({ kind: 'moveFrom', root: this.#root, path, isDir, cookie: r.cookie });
        continue;
      }
      if ((r.mask & c.IN_MOVED_TO) !== 0) {
        const from = movedFrom.get(r.cookie);
        movedFrom.delete(r.cookie);
        if (!excluded)
          out.push({ kind: 'moveTo', root: this.#root, path, isDir, cookie: r.cookie });
        if (isDir) await this.#tree.dirMovedTo(from, path, excluded, out);
        continue;
      }
      if (!excluded) {
        for (const [bit, kind] of this.#kinds) {
          if ((r.mask & bit) === 0) continue;
          if (
            kind === 'create' &&
            !isDir &&
            !written.has(`${r.wd}/${name}`) &&
            this.#noCloseWrite(path)
          ) {
            out.push({ kind, root: this.#root, path, isDir, noCloseWrite: true });
          } else out.push({ kind, root: this.#root, path, isDir });
        }
      }
      if (isDir && (r.mask & c.IN_CREATE) !== 0 && !excluded) await this.#tree.newDir(path, out);
      if (isDir && (r.mask & c.IN_DELETE) !== 0) this.#tree.dropSubtree(path);
    }
    // A MOVED_FROM without its MOVED_TO in the batch was a move out of the tree: unwatch it.
    for (const from of movedFrom.values()) if (from.isDir) this.#tree.dropSubtree(from.path);
    this.#emit(out);
  }

  /** True when a just-created non-directory will never see IN_CLOSE_WRITE (symlink, fifo, device, hard link). */
  #noCloseWrite(rel: string): boolean {
    try {
      // Synchronous on purpose: ~µs per create, and it keeps the batch's event order.
      const st = lstatSync(fsPath(join(this.#root, rel)));
      return !st.isFile() || st.nlink > 1;
    } catch {
      return false; // already gone: its delete follows
    }
  }

  async #overflow(out: FsEvent[]): Promise<void> {
    const detail = SYSCTL_HINT.queue;
    this.#log.error(
      `inotify event queue overflowed under ${displayName(this.#root)}: events were lost, a full sync of it is requested; ${detail}`,
    );
    this.#emit(out);
    this.#cb.onRescan(this.#root, 'overflow', detail);
    // Directories created during the lost stretch are not watched yet: add their watches now.
    await this.#tree.walkFrom('', 'rewalk', out);
  }
}
