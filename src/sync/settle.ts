// A path run that ran -> its BatchOutcome and fail-log bookkeeping: ok resolves every path;
// partial records the named paths (all when none can be placed), or, when rsync named only paths
// outside the batch ("." or implied parents), resolves every path and carries a warning; retry
// and fatal record every path. Pure but for the fail-log sink it is handed.
import { coveringEntries } from '../queue/outcome.js';
import type { BatchOutcome, Entry, Target } from '../queue/types.js';
import type { FailLogSink } from '../retry/fail-log-file.js';
import { classify, describeOutcome, waitStatus } from './exit-policy.js';
import { outsideWarning } from './outside-warnings.js';
import type { RunResult } from './protocol.js';
import { unreachable } from '../util/unreachable.js';

/**
 * The paths outside the batch (".", implied parents) a partial run named when it named only
 * those: every entry arrived. Undefined for any other run.
 */
export function outsideOnly(entries: readonly Entry[], r: RunResult): string[] | undefined {
  if (classify(r.outcome).verdict !== 'partial') return undefined;
  const { covered, stray, outside } = coveringEntries(entries, r.failedPaths);
  return covered.length === 0 && stray.length === 0 && outside.length > 0 ? outside : undefined;
}

/** `{ errorLine }` of a run whose stderr said what went wrong, else nothing (for an outcome). */
export function errorLineOf(r: RunResult): { errorLine?: string } {
  return r.errorLine === undefined ? {} : { errorLine: r.errorLine };
}

/** The outcome of a path run that ran, with its fail-log bookkeeping. */
export function settle(
  failLog: FailLogSink,
  target: Target,
  entries: readonly Entry[],
  r: RunResult,
): BatchOutcome {
  const paths = entries.map((e) => e.path);
  const c = classify(r.outcome);
  const status = waitStatus(r.outcome);
  switch (c.verdict) {
    case 'ok':
      failLog.resolve(target, paths);
      return { kind: 'ok' };
    case 'partial': {
      const outside = outsideOnly(entries, r);
      if (outside !== undefined) {
        failLog.resolve(target, paths);
        return { kind: 'ok', warning: outsideWarning(outside, r.stderrTail) };
      }
      // Named paths no entry covers say nothing about the batch: when none is placed, all failed.
      const named = coveringEntries(entries, r.failedPaths).covered.map((e) => e.path);
      const failedPaths = named.length > 0 ? named : paths;
      const failedSet = new Set(failedPaths);
      failLog.record(target, failedPaths, status);
      failLog.resolve(
        target,
        paths.filter((x) => !failedSet.has(x)),
      );
      return { kind: 'partial', failedPaths, ...errorLineOf(r) };
    }
    case 'retry':
    case 'fatal':
      failLog.record(target, paths, status);
      return {
        kind: 'failed',
        reason: `${c.verdict}: ${describeOutcome(r.outcome)} (${c.meaning})`,
        ...errorLineOf(r),
      };
    default:
      return unreachable(c.verdict);
  }
}
