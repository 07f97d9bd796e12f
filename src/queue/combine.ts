// The merge decision table: what one queued path becomes when another change for the same path,
// or for a path below it, arrives while it is still queued (lsyncd's combiner). Pure.
//
// A queued entry means "make the target's copy of this path (and everything below it) equal to
// what is on disk when the batch is built": the sync side lists the path, rsync sends it if it
// exists and deletes it (--delete-missing-args) if not. So the op is a hint, and merging never
// has to keep two entries for one path. The one exception is a path whose first queued event
// was its own creation: the target never had it, so a later removal annihilates the entry.
import type { Op } from './types.js';

/**
 * - `absorb`: keep the queued entry as it is (the new change adds nothing).
 * - `replace`: the queued entry takes the new change's op (it keeps its place and its age).
 * - `annihilate`: drop the queued entry and the change: nothing needs to reach the target.
 */
export type Verdict = 'absorb' | 'replace' | 'annihilate';

/** What the queue holds for one path. */
export interface SlotState {
  readonly op: Op;
  readonly isDir: boolean;
  /**
   * The slot began with a create of this path while no run touching it was in flight, so the
   * target cannot have it: a removal inside the window makes the whole slot unnecessary.
   */
  readonly born: boolean;
}

/** The incoming half of a merge. */
export interface Incoming {
  readonly op: Op;
  readonly isDir: boolean;
}

/** One cell: the verdict when the queued slot was born inside the window, and otherwise. */
export interface Cell {
  readonly born: Verdict;
  readonly existed: Verdict;
}

/**
 * SAME_PATH[queued op][incoming op]. A born slot is always an upsert (a born slot that sees a
 * remove is annihilated, never turned into a remove), so the `remove` row's `born` column is only
 * there to keep the table total.
 */
export const SAME_PATH: Readonly<Record<Op, Readonly<Record<Op, Cell>>>> = {
  upsert: {
    // Written again: one entry, whatever is on disk at batch time is sent.
    upsert: { born: 'absorb', existed: 'absorb' },
    // Deleted again. If the target never had it (temp file created and removed in the window)
    // nothing is sent; otherwise the entry becomes a delete.
    remove: { born: 'annihilate', existed: 'replace' },
  },
  remove: {
    // Deleted then re-created: the target had the old copy, send the new one. Not born (the
    // slot started with a removal, so the target may still hold the path).
    upsert: { born: 'replace', existed: 'replace' },
    // Deleted twice (e.g. moveFrom after delete of a re-created name): still one delete.
    remove: { born: 'absorb', existed: 'absorb' },
  },
};

/** The verdict for `next` arriving on a queued slot of the same path. */
export function verdict(queued: SlotState, next: Incoming): Verdict {
  const cell = SAME_PATH[queued.op][next.op];
  return queued.born ? cell.born : cell.existed;
}

/**
 * Merges `next` into the queued slot of the same path; null means annihilate (drop the slot).
 * The directory flag follows the newest upsert; a remove keeps `isDir` if either side says
 * directory (a backend may not know the type of a vanished path, and rsync deletes either).
 */
export function combine(queued: SlotState, next: Incoming): SlotState | null {
  const v = verdict(queued, next);
  switch (v) {
    case 'annihilate':
      return null;
    case 'absorb':
      return {
        op: queued.op,
        isDir: next.op === 'upsert' ? next.isDir : queued.isDir,
        born: queued.born,
      };
    case 'replace':
      return next.op === 'upsert'
        ? { op: 'upsert', isDir: next.isDir, born: false }
        : { op: 'remove', isDir: queued.isDir || next.isDir, born: false };
  }
}

/**
 * A change below a queued path is always absorbed by it (the queued path is synced recursively,
 * so the descendant's state on disk goes along). An upsert below a queued remove means the
 * path exists again, as a directory: the slot becomes a directory upsert.
 */
export function absorbDescendant(ancestor: SlotState, descendantOp: Op): SlotState {
  switch (descendantOp) {
    case 'upsert':
      return { op: 'upsert', isDir: true, born: ancestor.born };
    case 'remove':
      return { op: ancestor.op, isDir: ancestor.isDir, born: ancestor.born };
  }
}

/**
 * The rename hint (`Change.renamedFrom`) a queued slot keeps after `next` merged into it (same path)
 * giving `merged`: only a directory upsert has one; the newest change's hint wins, and a plain
 * upsert keeps the queued one (the directory is still the renamed one, with more changes inside,
 * which the recursive sync carries along). A descendant change never touches it (absorbDescendant).
 */
export function keptRenamedFrom(
  queued: { readonly op: Op; readonly renamedFrom?: string | undefined },
  next: { readonly op: Op; readonly renamedFrom?: string | undefined },
  merged: SlotState,
): string | undefined {
  if (merged.op !== 'upsert' || !merged.isDir || next.op !== 'upsert') return undefined;
  return next.renamedFrom ?? (queued.op === 'upsert' ? queued.renamedFrom : undefined);
}
