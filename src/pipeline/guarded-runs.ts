// The root guard around the runs (docs/reliability.md "Root guard"): a full sync is checked again
// just before it runs (the root may have vanished since it was queued), its root's entries are
// counted (the `--max-delete` share of the next one), and its success records the root as it was
// when the run started; a run stopped by `--max-delete` (rsync exit 25) stops the full syncs of
// its root until the root looks right again. A realtime batch only creates the first record of a
// root never fully synced. Shell.
import type { Logger } from '../log.js';
import type { Batch, BatchOutcome } from '../queue/types.js';
import type { Clock } from '../util/clock.js';
import { realtimeRecord, recordOf, type RootLook } from './root-guard.js';
import type { RootKeeper } from './root-keeper.js';
import type { RootRecords } from './root-records.js';

export interface GuardedRunsOptions {
  readonly keeper: Pick<RootKeeper, 'check' | 'accepted' | 'stoppedByMaxDelete'>;
  readonly records: RootRecords;
  readonly lookAt: (root: string) => RootLook;
  /** Entries below the root (null when they could not be counted); only called when `count`. */
  readonly countEntries: (root: string) => Promise<number | null>;
  /** Count the entries of a root before its full sync (the guard and its share limit are on). */
  readonly count: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly label: (batch: Batch) => string;
  readonly runBatch: (batch: Batch) => Promise<BatchOutcome>;
}

export interface GuardedRuns {
  readonly runBatch: (batch: Batch) => Promise<BatchOutcome>;
  /** A realtime batch of `root` reached its target. */
  realtimeSynced(root: string): void;
}

/** A full sync stopped by `--max-delete`: rsync exit 25, or a daemon receiver's message (runner.ts). */
const MAX_DELETE_EXIT = /\bexit 25\b|--max-delete limit stopped deletions/;

export function createGuardedRuns(o: GuardedRunsOptions): GuardedRuns {
  const iso = (): string => new Date(o.clock.now()).toISOString();
  const recordFull = (root: string, before: RootLook, entries: number | null): void => {
    const now = o.lookAt(root);
    // Recorded only when the run saw one directory from start to end.
    if (before.kind !== 'dir' || now.kind !== 'dir') return;
    if (now.dev !== before.dev || now.ino !== before.ino) return;
    o.records.set(root, recordOf(root, before, entries, iso()));
    o.keeper.accepted(root);
  };
  return {
    async runBatch(batch) {
      if (batch.kind !== 'full') return o.runBatch(batch);
      const root = batch.target.root;
      const gate = o.keeper.check(root);
      if (!gate.ok) {
        o.logger.error(`full sync of ${root} -> ${o.label(batch)} not run: ${gate.reason}`);
        return { kind: 'failed', reason: `refused by the root guard: ${gate.reason}` };
      }
      const entries = o.count && gate.look.kind === 'dir' ? await o.countEntries(root) : null;
      const outcome = await o.runBatch(batch);
      if (outcome.kind === 'ok') recordFull(root, gate.look, entries);
      else if (outcome.kind === 'failed' && MAX_DELETE_EXIT.test(outcome.reason))
        o.keeper.stoppedByMaxDelete(root, o.label(batch));
      return outcome;
    },
    realtimeSynced(root) {
      if (o.records.get(root)?.nonEmpty === true) return; // the common case: no I/O
      const next = realtimeRecord(root, o.records.get(root), o.lookAt(root), iso());
      if (next !== undefined) o.records.set(root, next);
    },
  };
}
