// Linux watcher backend over the project's native inotify binding: recursive watches, a scan of
// every new or moved-in directory right after its watch is added, rename fix-up by cookie, and
// IN_Q_OVERFLOW / ENOSPC / root loss turned into loud logs plus rescan requests. Shell.
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
import type { InotifyBinding, InotifyHandle, RawInotifyEvent } from './native-binding.js';
import { plural } from '../util/plural.js';
import { walk } from './walk.js';
import { WatchTable, joinRel } from './watch-table.js';

/** The operator hints attached to rescan requests (never applied by us: no sysctl writes). */
export const SYSCTL_HINT = {
  watches: 'raise it: sysctl -w fs.inotify.max_user_watches=N (and persist in /etc/sysctl.d/)',
  queue: 'raise it: sysctl -w fs.inotify.max_queued_events=N (and persist in /etc/sysctl.d/)',
  instances: 'raise it: sysctl -w fs.inotify.max_user_instances=N (and persist in /etc/sysctl.d/)',
} as const;

const E = osConstants.errno;
const EVENTS_PER_CALL = 4096;

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

type AddResult = 'new' | 'known' | 'gone' | 'failed';

/** What a batch's IN_MOVED_FROM left for its IN_MOVED_TO partner. */
interface MovedFrom {
  readonly path: string;
  readonly isDir: boolean;
}

/** The simple kernel bits, in the order they are reported when a record carries several. */
const SIMPLE_KINDS: readonly (readonly [keyof InotifyBinding['constants'], FsEventKind])[] = [
  ['IN_CREATE', 'create'],
  ['IN_MODIFY', 'modify'],
  ['IN_ATTRIB', 'attrib'],
  ['IN_CLOSE_WRITE', 'closeWrite'],
  ['IN_DELETE', 'delete'],
];

class RootWatch {
  readonly #binding: InotifyBinding;
  readonly #root: string;
  readonly #opts: WatcherOptions;
  readonly #cb: WatcherCallbacks;
  readonly #log: Logger;
  readonly #table = new WatchTable();
  readonly #mask: number;
  /** SIMPLE_KINDS with the bits resolved once. */
  readonly #kinds: readonly (readonly [number, FsEventKind])[];
  readonly #warnedNames = new Set<string>();
  #handle: InotifyHandle | undefined;
  /** Batches are processed strictly one after another (a walk finishes before the next batch). */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #rootLost = false;
  #limitReported = false;

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
    const c = binding.constants;
    // Everything the tree's bookkeeping or a wanted kind needs: the <inotify> switches are applied
    // downstream (filter.ts), and the whole tree is watched even when createFolder is off so nothing
    // goes blind. Only IN_MODIFY and IN_ATTRIB, which nothing here needs, are left to their switches.
    this.#kinds = SIMPLE_KINDS.map(([bit, kind]) => [c[bit], kind] as const);
    const unwanted = new Set(opts.unwantedKinds ?? []);
    this.#mask =
      c.IN_CREATE |
      c.IN_CLOSE_WRITE |
      c.IN_DELETE |
      c.IN_MOVED_FROM |
      c.IN_MOVED_TO |
      c.IN_DELETE_SELF |
      c.IN_MOVE_SELF |
      c.IN_ONLYDIR |
      c.IN_DONT_FOLLOW |
      c.IN_EXCL_UNLINK |
      (unwanted.has('modify') ? 0 : c.IN_MODIFY) |
      (unwanted.has('attrib') ? 0 : c.IN_ATTRIB);
  }

  get watchCount(): number {
    return this.#table.size;
  }

  async start(): Promise<void> {
    try {
      this.#handle = this.#binding.open((batch) => {
        this.#enqueue(batch);
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const hint = msg.includes('Too many open files') ? `; ${SYSCTL_HINT.instances}` : '';
      throw new WatcherStartError(
        'init-failed',
        this.#root,
        `cannot start inotify for ${this.#root}: ${msg}${hint}`,
      );
    }
    const wd = this.#handle.addWatch(this.#root, this.#mask);
    if (wd < 0) {
      if (-wd === E.ENOSPC) this.#reportWatchLimit(this.#root);
      else
        throw new WatcherStartError(
          'root-missing',
          this.#root,
          `cannot watch ${this.#root}: ${errnoName(-wd)}`,
        );
    } else {
      this.#table.add(wd, '');
      const t0 = performance.now();
      this.#chain = this.#walkFrom('', 'initial', []).then(() => undefined);
      await this.#chain;
      this.#log.info(
        `watching ${this.#root}: ${plural(this.#table.size, 'directory', 'directories')} (inotify, ${Math.round(performance.now() - t0)} ms)`,
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
      if ((r.mask & (c.IN_CLOSE_WRITE | c.IN_MODIFY)) !== 0 && typeof r.name === 'string')
        written.add(`${r.wd}/${r.name}`);
    for (const r of batch) {
      if (this.#closed) return;
      if (out.length >= EVENTS_PER_CALL) this.#emit(out);
      if ((r.mask & c.IN_Q_OVERFLOW) !== 0) {
        await this.#overflow(out);
        continue;
      }
      const dir = this.#table.pathOf(r.wd);
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
        if (dir === '') this.#lostRoot();
        else if ((r.mask & (c.IN_IGNORED | c.IN_DELETE_SELF)) !== 0) this.#table.removeWd(r.wd);
        continue;
      }
      if (r.name === '') continue; // the directory's own change is reported by its parent's watch
      if (typeof r.name !== 'string') {
        this.#warnBadName(dir, r.name);
        continue;
      }
      const path = joinRel(dir, r.name);
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
        if (isDir) await this.#dirMovedTo(from, path, excluded, out);
        continue;
      }
      if (!excluded) {
        for (const [bit, kind] of this.#kinds) {
          if ((r.mask & bit) === 0) continue;
          if (
            kind === 'create' &&
            !isDir &&
            !written.has(`${r.wd}/${r.name}`) &&
            this.#noCloseWrite(path)
          ) {
            out.push({ kind, root: this.#root, path, isDir, noCloseWrite: true });
          } else out.push({ kind, root: this.#root, path, isDir });
        }
      }
      if (isDir && (r.mask & c.IN_CREATE) !== 0 && !excluded) await this.#newDir(path, out);
      if (isDir && (r.mask & c.IN_DELETE) !== 0) this.#dropSubtree(path);
    }
    // A MOVED_FROM without its MOVED_TO in the batch was a move out of the tree: unwatch it.
    for (const from of movedFrom.values()) if (from.isDir) this.#dropSubtree(from.path);
    this.#emit(out);
  }

  /** True when a just-created non-directory will never see IN_CLOSE_WRITE (symlink, fifo, device, hard link). */
  #noCloseWrite(rel: string): boolean {
    try {
      // Synchronous on purpose: ~µs per create, and it keeps the batch's event order.
      const st = lstatSync(join(this.#root, rel));
      return !st.isFile() || st.nlink > 1;
    } catch {
      return false; // already gone: its delete follows
    }
  }

  /** IN_MOVED_TO of a directory: a rename inside the tree (paired) or a move in from outside. */
  async #dirMovedTo(
    from: MovedFrom | undefined,
    path: string,
    excluded: boolean,
    out: FsEvent[],
  ): Promise<void> {
    if (excluded) {
      if (from) this.#dropSubtree(from.path);
      return;
    }
    if (from && this.#table.wdOf(from.path) !== undefined) {
      for (const wd of this.#table.renameSubtree(from.path, path)) this.#handle?.rmWatch(wd);
      // Re-walk (no events: the moveTo of the directory covers its contents) so that a subtree
      // whose scan was cut short by this very rename still gets all its watches.
      await this.#walkFrom(path, 'rewalk', out);
      return;
    }
    await this.#newDir(path, out);
  }

  /** A new or moved-in directory: watch it first, then scan it and report what is already inside. */
  async #newDir(path: string, out: FsEvent[]): Promise<void> {
    if (this.#addDir(path) !== 'new') return; // gone already, failed, or walked before
    await this.#walkFrom(path, 'new', out);
  }

  /**
   * Walks below `start` adding watches. 'initial' and 'rewalk' report nothing; 'new' reports each
   * entry found as a synthetic create (after the directory's own event, already in `out`).
   * The start directory's watch is added by the caller.
   */
  async #walkFrom(
    start: string,
    mode: 'initial' | 'new' | 'rewalk',
    out: FsEvent[],
  ): Promise<void> {
    await walk({
      root: this.#root,
      start,
      statWalk: this.#opts.statWalk,
      isExcluded: (p, d) => this.#opts.isExcluded(this.#root, p, d),
      enterDir: (p) => {
        if (p === start) return !this.#closed;
        const r = this.#addDir(p);
        return r === 'new' || (r === 'known' && mode === 'rewalk');
      },
      onEntry: (e) => {
        if (mode !== 'new' || this.#closed) return;
        out.push({
          kind: 'create',
          root: this.#root,
          path: e.relPath,
          isDir: e.isDir,
          synthetic: true,
        });
        if (out.length >= EVENTS_PER_CALL) this.#emit(out);
      },
      onError: (p, e) => {
        this.#cb.onWarning(
          `cannot read ${join(this.#root, p)} while watching it: ${e.code ?? e.message}`,
        );
      },
    });
  }

  #addDir(path: string): AddResult {
    if (this.#closed || !this.#handle) return 'failed';
    const abs = path === '' ? this.#root : join(this.#root, path);
    const wd = this.#handle.addWatch(abs, this.#mask);
    if (wd >= 0) {
      const isNew = this.#table.add(wd, path);
      if (isNew) this.#limitReported = false;
      return isNew ? 'new' : 'known';
    }
    const errno = -wd;
    if (errno === E.ENOENT || errno === E.ENOTDIR) return 'gone'; // raced with rm/mv: not an error
    if (errno === E.ENOSPC) this.#reportWatchLimit(abs);
    else
      this.#cb.onWarning(`cannot watch ${abs}: ${errnoName(errno)}; changes below it are not seen`);
    return 'failed';
  }

  #dropSubtree(path: string): void {
    for (const wd of this.#table.removeSubtree(path)) this.#handle?.rmWatch(wd);
  }

  async #overflow(out: FsEvent[]): Promise<void> {
    const detail = SYSCTL_HINT.queue;
    this.#log.error(
      `inotify event queue overflowed under ${this.#root}: events were lost, a full sync of it is requested; ${detail}`,
    );
    this.#emit(out);
    this.#cb.onRescan(this.#root, 'overflow', detail);
    // Directories created during the lost stretch are not watched yet: add their watches now.
    await this.#walkFrom('', 'rewalk', out);
  }

  #reportWatchLimit(abs: string): void {
    if (this.#limitReported) return;
    this.#limitReported = true;
    const detail = SYSCTL_HINT.watches;
    this.#log.error(
      `inotify watch limit reached while adding ${abs}: directories below it are not watched, a full sync of ${this.#root} is requested; ${detail}`,
    );
    this.#cb.onRescan(this.#root, 'watch-limit', detail);
  }

  #lostRoot(): void {
    if (this.#rootLost || this.#closed) return;
    this.#rootLost = true;
    const detail = `the watch root ${this.#root} was deleted, moved or unmounted; it is no longer watched (restart once it is back)`;
    this.#log.error(detail);
    this.#cb.onRescan(this.#root, 'root-lost', detail);
  }

  #warnBadName(dir: string, name: Buffer): void {
    const shown = `${dir === '' ? '' : `${dir}/`}${name.toString('latin1')}`;
    if (this.#warnedNames.size >= 1000 || this.#warnedNames.has(shown)) return;
    this.#warnedNames.add(shown);
    this.#cb.onWarning(
      `ignored a change to a name that is not valid UTF-8 under ${this.#root}: ${JSON.stringify(shown)} (only a full sync transfers it)`,
    );
  }
}

function errnoName(errno: number): string {
  const entry = Object.entries(E).find(([, v]) => v === errno);
  return entry ? entry[0] : `errno ${errno}`;
}
