// The watches of one root kept matched to its directories: a watch on every directory, added
// before the directory is scanned (so nothing created meanwhile is missed), moved with a renamed
// subtree, dropped with a deleted or moved-out one. Paths are BytePaths (watches added by their
// raw bytes, fsPath). Used by inotify-watcher.ts. Shell.
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { FsEvent, WatcherCallbacks, WatcherOptions } from './fs-event.js';
import { errnoName, type InotifyAlarms } from './inotify-alarms.js';
import type { InotifyHandle } from './native-binding.js';
import { displayName, fsPath } from '../util/byte-names.js';
import { walk } from './walk.js';
import { WatchTable } from './watch-table.js';

const E = osConstants.errno;
/** Events handed to onEvents at most at once. */
export const EVENTS_PER_CALL = 4096;

export type AddResult = 'new' | 'known' | 'gone' | 'failed';

/** What a batch's IN_MOVED_FROM left for its IN_MOVED_TO partner. */
export interface MovedFrom {
  readonly path: string;
  readonly isDir: boolean;
}

/** What the tree needs from the root watch that owns it. */
export interface TreeHost {
  readonly root: string;
  readonly opts: WatcherOptions;
  readonly cb: WatcherCallbacks;
  readonly alarms: InotifyAlarms;
  closed(): boolean;
  /** Hands `out`'s events to onEvents now (and empties it). */
  emit(out: FsEvent[]): void;
}

export class WatchTree {
  /** wd <-> relative directory path. */
  readonly table = new WatchTable();
  readonly #host: TreeHost;
  readonly #mask: number;
  #handle: InotifyHandle | undefined;

  constructor(host: TreeHost, mask: number) {
    this.#host = host;
    this.#mask = mask;
  }

  /** The inotify instance the watches are added to (open at start). */
  attach(handle: InotifyHandle): void {
    this.#handle = handle;
  }

  /** IN_MOVED_TO of a directory: a rename inside the tree (paired) or a move in from outside. */
  async dirMovedTo(
    from: MovedFrom | undefined,
    path: string,
    excluded: boolean,
    out: FsEvent[],
  ): Promise<void> {
    if (excluded) {
      if (from) this.dropSubtree(from.path);
      return;
    }
    if (from && this.table.wdOf(from.path) !== undefined) {
      for (const wd of this.table.renameSubtree(from.path, path)) this.#handle?.rmWatch(wd);
      // Re-walk (no events: the moveTo of the directory covers its contents) so that a subtree
      // whose scan was cut short by this very rename still gets all its watches.
      await this.walkFrom(path, 'rewalk', out);
      return;
    }
    await this.newDir(path, out);
  }

  /** A new or moved-in directory: watch it first, then scan it and report what is already inside. */
  async newDir(path: string, out: FsEvent[]): Promise<void> {
    if (this.addDir(path) !== 'new') return; // gone already, failed, or walked before
    await this.walkFrom(path, 'new', out);
  }

  /**
   * Walks below `start` adding watches. 'initial' and 'rewalk' report nothing; 'new' reports each
   * entry found as a synthetic create (after the directory's own event, already in `out`).
   * The start directory's watch is added by the caller.
   */
  async walkFrom(start: string, mode: 'initial' | 'new' | 'rewalk', out: FsEvent[]): Promise<void> {
    await walk({
      root: this.#host.root,
      start,
      statWalk: this.#host.opts.statWalk,
      isExcluded: (p, d) => this.#host.opts.isExcluded(this.#host.root, p, d),
      enterDir: (p) => {
        if (p === start) return !this.#host.closed();
        const r = this.addDir(p);
        return r === 'new' || (r === 'known' && mode === 'rewalk');
      },
      onEntry: (e) => {
        if (mode !== 'new' || this.#host.closed()) return;
        out.push({
          kind: 'create',
          root: this.#host.root,
          path: e.relPath,
          isDir: e.isDir,
          synthetic: true,
        });
        if (out.length >= EVENTS_PER_CALL) this.#host.emit(out);
      },
      onError: (p, e) => {
        this.#host.cb.onWarning(
          `cannot read ${displayName(join(this.#host.root, p))} while watching it: ${e.code ?? e.message}`,
        );
      },
    });
  }

  addDir(path: string): AddResult {
    if (this.#host.closed() || !this.#handle) return 'failed';
    const abs = path === '' ? this.#host.root : join(this.#host.root, path);
    const wd = this.#handle.addWatch(fsPath(abs), this.#mask);
    if (wd >= 0) {
      const isNew = this.table.add(wd, path);
      if (isNew) this.#host.alarms.watchAdded();
      return isNew ? 'new' : 'known';
    }
    const errno = -wd;
    if (errno === E.ENOENT || errno === E.ENOTDIR) return 'gone'; // raced with rm/mv: not an error
    if (errno === E.ENOSPC) this.#host.alarms.watchLimit(abs);
    else
      this.#host.cb.onWarning(
        `cannot watch ${displayName(abs)}: ${errnoName(errno)}; changes below it are not seen`,
      );
    return 'failed';
  }

  dropSubtree(path: string): void {
    for (const wd of this.table.removeSubtree(path)) this.#handle?.rmWatch(wd);
  }
}
