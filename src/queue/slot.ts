// One queued path of a PendingSet: its merged change, its timing and its state, and when it becomes
// ready. Used by pending.ts. Pure.
import type { SlotState } from './combine.js';
import type { Entry } from './types.js';

export interface PendingOptions {
  /** A path is ready this long after its last change (the coalescing window). */
  readonly quietMs: number;
  /** ...but never later than this long after its first change, so a constantly written file still syncs. */
  readonly maxHoldMs: number;
  /** The quiet window of a path whose last change was a close_write (at most quietMs). */
  readonly closedQuietMs: number;
  /**
   * The same for a close_write of the only path queued (a lone change; default closedQuietMs).
   * 0: ready at once; what the same read of the kernel queue brought (a temp file's rename) is
   * merged before the scheduler's next pass all the same.
   */
  readonly loneClosedQuietMs?: number;
}

export type State = 'waiting' | 'ready' | 'held' | 'gone';

export interface Slot extends SlotState {
  readonly path: string;
  /** The rename hint of a directory upsert (undefined otherwise). */
  renamedFrom: string | undefined;
  attempts: number;
  first: number;
  last: number;
  notBefore: number;
  /** Its last change was a close_write of this very path (the shorter quiet window applies). */
  closed: boolean;
  /** ...and it was the only path queued then (loneClosedQuietMs applies). */
  lone: boolean;
  state: State;
  /** Bumped whenever the slot's heap records become stale. */
  version: number;
  /** The readyAt of its live waiting-heap record (to skip re-pushing an unchanged key). */
  queuedAt: number;
  readonly seq: number;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function entryOf(s: Slot): Entry {
  const e = { path: s.path, op: s.op, isDir: s.isDir, attempts: s.attempts };
  return s.renamedFrom === undefined ? e : { ...e, renamedFrom: s.renamedFrom };
}

/**
 * When a slot becomes ready: quiet window after its last change (the short one after a close_write,
 * none after the close_write of a lone path), capped by maxHold, not before notBefore.
 */
export function readyAt(s: Slot, o: PendingOptions): number {
  const closedQuiet = s.lone ? (o.loneClosedQuietMs ?? o.closedQuietMs) : o.closedQuietMs;
  const quiet = s.closed ? Math.min(closedQuiet, o.quietMs) : o.quietMs;
  return Math.max(s.notBefore, Math.min(s.last + quiet, s.first + o.maxHoldMs));
}
