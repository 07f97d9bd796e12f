// The permanent causes of failing runs (rsync-cause.ts: auth failed, unknown module, ...), logged
// at error level once per destination and streak: again only when the cause changes, or after a
// run that reached the target cleared it. Retries go on with the capped back-off meanwhile; their
// own run lines stay, rsync's repeated stderr lines go to debug (no flood). Shell (logs).
import type { Logger } from '../log.js';
import { causeOf, type CauseKind } from './rsync-cause.js';

export interface CauseLog {
  /** Whether `errorLine` states the cause already logged for `destination` (its stderr is old news). */
  repeated(destination: string, errorLine: string | undefined): boolean;
  /**
   * A run to `destination` ended: `reached` when it reached the target (ok, or only a warning),
   * with rsync's `errorLine`. Logs a new or changed cause, or that a known one cleared.
   */
  settled(destination: string, reached: boolean, errorLine: string | undefined): void;
}

/** A cause log writing to `logger`. */
export function createCauseLog(logger: Logger): CauseLog {
  const known = new Map<string, CauseKind>();
  return {
    repeated(destination, errorLine) {
      const kind = causeOf(errorLine)?.kind;
      return kind !== undefined && known.get(destination) === kind;
    },
    settled(destination, reached, errorLine) {
      const was = known.get(destination);
      if (reached) {
        if (was === undefined) return;
        known.delete(destination);
        logger.info(`rsync -> ${destination}: runs reach the target again (${was} cleared)`);
        return;
      }
      const cause = causeOf(errorLine);
      if (cause === undefined || cause.kind === was) return;
      known.set(destination, cause.kind);
      logger.error(
        `rsync -> ${destination}: ${errorLine ?? ''} (${cause.kind}: ${cause.hint}); retried with back-off, logged again when the cause changes`,
      );
    },
  };
}
