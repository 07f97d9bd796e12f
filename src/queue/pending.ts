// The pending set of ONE target: merges changes per path (combine.ts) and answers "what is ready
// now?". Time is a parameter; there is no timer here (scheduler.ts owns it). Pure.
//
// Invariant: queued paths never overlap (no queued path is an ancestor of another), because a
// change below a queued path is absorbed by it and a new path swallows what is queued below it.
// A slot is in one of three states:
//   waiting --(readyAt <= now)--> ready --(takeReady, not busy)--> taken (removed)
//      ^                            |
//      +------(released: no longer busy)--- held <--(busy: a run in flight overlaps it)
// "Busy" only changes from true to false (when a run settles), because nothing that overlaps a
// queued path can be dispatched while it is queued; so held slots are re-checked only on release.
// A removal is also not ready while removals keep arriving in its directory (capped by maxHoldMs):
// see removal-windows.ts.
import { absorbDescendant, combine, keptRenamedFrom } from './combine.js';
import { VersionedHeap } from './heap.js';
import { PathTrie } from './path-trie.js';
import { RemovalWindows } from './removal-windows.js';
import {
  entryOf,
  readyAt,
  type PendingOptions,
  type Mutable,
  type Slot,
  type State,
} from './slot.js';
import type { Entry, Op } from './types.js';

export type { PendingOptions } from './slot.js';

/** What `add` accepts: a Change without its root ('' = the whole root, a full sync). */
export interface PendingChange {
  readonly path: string;
  readonly op: Op;
  readonly isDir: boolean;
  /** The event was a create of this path (it did not exist just before): see `SlotState.born`. */
  readonly created?: boolean;
  /** A directory upsert renamed from this path: see `Change.renamedFrom` and `keptRenamedFrom`. */
  readonly renamedFrom?: string;
  /** A close_write: see `Change.closed`. */
  readonly closed?: boolean;
}

const NEVER_BUSY = (): boolean => false;

/**
 * Per-target merge queue. Every operation costs O(depth + log n) per change, except swallowing,
 * which costs the number of entries swallowed (each entry is swallowed at most once).
 * No guarantee is made about the order of entries with the same readyAt beyond insertion order.
 */
export class PendingSet {
  readonly #opts: PendingOptions;
  readonly #trie = new PathTrie<Mutable<Slot>>();
  readonly #waiting = new VersionedHeap<Mutable<Slot>>();
  readonly #ready = new VersionedHeap<Mutable<Slot>>();
  readonly #held = new Set<Mutable<Slot>>();
  #readyCount = 0;
  #seq = 0;
  readonly #removals: RemovalWindows;

  constructor(opts: PendingOptions) {
    this.#opts = opts;
    this.#removals = new RemovalWindows(opts.quietMs, opts.maxHoldMs);
  }

  /** Number of queued paths (waiting, ready and held). */
  get size(): number {
    return this.#trie.size;
  }

  /**
   * Merges one change observed at `now`. `isBusy(path)` tells whether a run in flight overlaps
   * `path`; a busy path is held back until `released`, and is never treated as born.
   */
  add(change: PendingChange, now: number, isBusy: (path: string) => boolean = NEVER_BUSY): void {
    this.#addOne(change, now, isBusy);
    // A rename's old path becomes ready together with the new one, so that both usually leave in
    // the same batch (the sync side only uses the hint when the batch also removes the old path).
    const from = change.renamedFrom === undefined ? undefined : this.#trie.get(change.renamedFrom);
    if (from !== undefined && from.op === 'remove') this.#touch(from, now);
  }

  #addOne(change: PendingChange, now: number, isBusy: (path: string) => boolean): void {
    if (change.op === 'remove') this.#removals.note(change.path, now);
    const ancestor = this.#trie.nearestAncestor(change.path);
    if (ancestor !== undefined) {
      Object.assign(ancestor, absorbDescendant(ancestor, change.op));
      ancestor.closed = false; // a directory being filled keeps its whole quiet window
      ancestor.lone = false;
      this.#touch(ancestor, now);
      return;
    }
    const same = this.#trie.get(change.path);
    if (same !== undefined) {
      const merged = combine(same, change);
      if (merged === null) this.#remove(same);
      else {
        same.renamedFrom = keptRenamedFrom(same, change, merged);
        Object.assign(same, merged);
        same.closed = change.closed === true;
        same.lone = same.closed && this.#trie.size === 1;
        this.#touch(same, now);
      }
      return;
    }
    this.#create(change, now, now, isBusy, { created: change.created === true, newest: true });
  }

  /**
   * Puts a failed entry back, ready at `notBefore`, with `attempts + 1`. It merges like a change,
   * except that an existing slot keeps its own (newer) op. Never born: the target state is unknown.
   */
  requeue(entry: Entry, notBefore: number, isBusy: (path: string) => boolean = NEVER_BUSY): void {
    const attempts = entry.attempts + 1;
    const existing = this.#trie.nearestAncestor(entry.path) ?? this.#trie.get(entry.path);
    if (existing !== undefined) {
      existing.attempts = Math.max(existing.attempts, attempts);
      existing.notBefore = Math.max(existing.notBefore, notBefore);
      existing.born = false;
      existing.renamedFrom = undefined; // a retry is a plain sync (when in doubt, drop the hint)
      // A ready slot goes back to waiting: promote() makes it ready again once notBefore passed.
      if (existing.state === 'ready' || existing.state === 'waiting')
        this.#setState(existing, 'waiting');
      return;
    }
    const start = notBefore - this.#opts.quietMs;
    const slot = this.#create(entry, start, notBefore, isBusy, { created: false, newest: false });
    slot.attempts = Math.max(slot.attempts, attempts);
  }

  /**
   * Removes and returns up to `max` ready entries that no run in flight overlaps, oldest readyAt
   * first. Ready entries found busy are held back until `released`.
   */
  takeReady(now: number, isBusy: (path: string) => boolean, max: number): Entry[] {
    this.#promote(now);
    const out: Entry[] = [];
    while (out.length < max) {
      const slot = this.#ready.pop();
      if (slot === undefined) break;
      if (isBusy(slot.path)) {
        this.#setState(slot, 'held');
        continue;
      }
      this.#remove(slot);
      out.push(entryOf(slot));
    }
    return out;
  }

  /** How many entries are ready at `now` and not known to be busy. */
  readyCount(now: number): number {
    this.#promote(now);
    return this.#readyCount;
  }

  /** The readyAt of the oldest ready entry at `now` (not held), or null. */
  oldestReadyAt(now: number): number | null {
    this.#promote(now);
    const top = this.#ready.peek();
    return top === undefined ? null : this.#readyAt(top);
  }

  /**
   * The earliest time a waiting entry becomes ready, or null. Entries already found ready (by the
   * last `takeReady` / `readyCount`) and held entries are not counted: they wait for a dispatch
   * decision or for a run to settle, not for time.
   */
  nextReadyAt(): number | null {
    // The heap key: a removal whose directory got busier since is re-queued when this time comes.
    return this.#waiting.peek()?.queuedAt ?? null;
  }

  /** Call after a run settled: held entries no longer overlapping a run become schedulable again. */
  released(isBusy: (path: string) => boolean): void {
    for (const slot of this.#held) {
      if (!isBusy(slot.path)) this.#setState(slot, 'waiting');
    }
  }

  /** The queued entries at `path` and, with `subtree`, below it (cost: what it returns, plus depth). */
  queuedWithin(path: string, subtree: boolean): Entry[] {
    if (subtree) return this.#trie.within(path).map(entryOf);
    const s = this.#trie.get(path);
    return s === undefined ? [] : [entryOf(s)];
  }

  /** Every queued entry (for persistence and status), in no particular order. */
  entries(): Entry[] {
    return this.#trie.entries().map(([, s]) => entryOf(s));
  }

  /** A new slot at `change.path`, swallowing whatever is queued below it. */
  #create(
    change: PendingChange,
    first: number,
    notBefore: number,
    isBusy: (path: string) => boolean,
    how: { readonly created: boolean; readonly newest: boolean },
  ): Mutable<Slot> {
    const busy = isBusy(change.path);
    const below = this.#trie.takeDescendants(change.path);
    const slot: Mutable<Slot> = {
      path: change.path,
      op: change.op,
      isDir: change.isDir,
      born: false,
      attempts: 0,
      // A requeued entry retries as a plain sync; a new change keeps a directory upsert's hint.
      renamedFrom:
        how.newest && change.op === 'upsert' && change.isDir ? change.renamedFrom : undefined,
      first,
      last: first,
      notBefore,
      closed: how.newest && change.closed === true,
      lone: false,
      state: 'gone',
      version: 0,
      queuedAt: NaN,
      seq: this.#seq++,
    };
    for (const b of below) {
      // A new change is the newest word on this path: a removal swallows what is below it, an
      // upsert (recursive) carries it along. A requeued entry is older than what is queued below
      // it, so those changes count as they would for a queued ancestor.
      if (!how.newest) Object.assign(slot, absorbDescendant(slot, b.op));
      slot.attempts = Math.max(slot.attempts, b.attempts);
      slot.first = Math.min(slot.first, b.first);
      this.#setState(b, 'gone');
    }
    // Born only if nothing in flight or queued below could have put the path on the target.
    slot.born = how.created && !busy && below.length === 0;
    slot.lone = slot.closed && this.#trie.size === 0;
    this.#trie.set(change.path, slot);
    this.#setState(slot, busy ? 'held' : 'waiting');
    return slot;
  }

  /** A change landed on `slot` at `now`: extends its quiet window unless it is already ready. */
  #touch(slot: Mutable<Slot>, now: number): void {
    slot.last = Math.max(slot.last, now);
    if (slot.state === 'waiting' && this.#readyAt(slot) !== slot.queuedAt)
      this.#setState(slot, 'waiting');
  }

  #remove(slot: Mutable<Slot>): void {
    this.#trie.delete(slot.path);
    this.#setState(slot, 'gone');
  }

  /** Moves `slot` to `state`, invalidating old heap records and keeping the counters right. */
  #setState(slot: Mutable<Slot>, state: State): void {
    if (slot.state === 'ready') this.#readyCount--;
    if (slot.state === 'held') this.#held.delete(slot);
    slot.version++;
    slot.state = state;
    switch (state) {
      case 'waiting':
        slot.queuedAt = this.#readyAt(slot);
        this.#waiting.push(slot, slot.queuedAt);
        break;
      case 'ready':
        this.#readyCount++;
        this.#ready.push(slot, this.#readyAt(slot));
        break;
      case 'held':
        this.#held.add(slot);
        break;
      case 'gone':
        break;
    }
  }

  #promote(now: number): void {
    for (;;) {
      const top = this.#waiting.peek();
      if (top === undefined || top.queuedAt > now) break;
      this.#waiting.pop();
      // Later than its key: more removals arrived in its directory since it was queued.
      this.#setState(top, this.#readyAt(top) > now ? 'waiting' : 'ready');
    }
    this.#removals.sweep(now);
  }

  /**
   * readyAt(), and for a removal that arrived in its directory's current window of removals: not
   * before that window is quiet for quietMs, nor later than maxHoldMs after it opened.
   */
  #readyAt(s: Slot): number {
    const own = readyAt(s, this.#opts);
    return s.op === 'remove' ? this.#removals.readyAt(s.path, s.last, own) : own;
  }
}
