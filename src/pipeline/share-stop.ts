// The `--max-delete` share of the root guard after it fired: a full sync stopped by it (rsync exit
// 25) is remembered in the root's record (so a restart does not run it again and delete that many
// more), and the root is counted again at most once a minute; once it holds enough entries again
// (root-guard.ts shareRecovered), the stop is cleared. Shell (timing by the injected Clock).
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { maxDeleteFor, MIN_MAX_DELETE, shareRecovered } from './root-guard.js';
import type { RootRecords } from './root-records.js';

/** How often a root stopped by `--max-delete` is counted again (a walk of the tree). */
export const RECOUNT_MS = 60_000;

export interface ShareStops {
  /** A full sync of `root` to `label` was stopped by `--max-delete`: returns why (the refusal). */
  stopped(root: string, label: string): string | undefined;
  /** Counts `root` again (rate-limited); calls `cleared` once its stop is lifted. */
  recount(root: string, cleared: () => void): void;
}

export function createShareStops(o: {
  readonly records: RootRecords;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly percent: number;
  readonly countEntries: (root: string) => Promise<number | null>;
}): ShareStops {
  const countedAt = new Map<string, number>();
  return {
    stopped(root, label) {
      const rec = o.records.get(root);
      if (rec === undefined) return undefined;
      const limit = maxDeleteFor(rec, o.percent) ?? 0;
      const why = `a full sync to ${label} was stopped at the --max-delete limit of ${limit} (${o.percent} % of the ${rec.entries ?? 0} entries the last successful sync counted, ${rec.at}, at least ${MIN_MAX_DELETE})`;
      o.records.set(root, { ...rec, stopped: why });
      countedAt.set(root, o.clock.now());
      o.logger.error(
        `${why}; no full sync of ${root} runs until it holds that many entries again, or an override (docs/reliability.md "Root guard")`,
      );
      return why;
    },
    recount(root, cleared) {
      const now = o.clock.now();
      if (now - (countedAt.get(root) ?? -Infinity) < RECOUNT_MS) return;
      countedAt.set(root, now);
      void o.countEntries(root).then((entries) => {
        const rec = o.records.get(root);
        if (rec?.stopped === undefined || !shareRecovered(rec, entries, o.percent)) return;
        const { stopped: _cleared, ...rest } = rec;
        o.records.set(root, rest);
        o.logger.info(
          `watch root ${root} holds ${entries ?? 0} entries again (the last successful sync counted ${rec.entries ?? 0}): its full syncs may run`,
        );
        cleared();
      });
    },
  };
}
