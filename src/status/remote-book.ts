// Per-remote health bookkeeping behind /status and /healthz: failures, last success, the last
// error, and the remote-up gauges derived from them at scrape time. Pure: time comes in as `now`.
import type { BatchOutcome } from '../queue/types.js';
import type { Gauge } from './metric-types.js';
import type { RemoteStatus } from './report.js';

/** One remote of one root, as the daemon names it (the label comes from pipeline/targets.ts). */
export interface RemoteRef {
  readonly label: string;
  readonly root: string;
}

interface RemoteState {
  readonly ref: RemoteRef;
  failures: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  failingSince: number | null;
  lastError: string | null;
  lastWarning: string | null;
}

export interface RemoteBook {
  /** The state of `ref`, created (and announced through `onNew`) the first time it is asked for. */
  get(ref: RemoteRef): void;
  /** Records how one run to `ref` ended. */
  recordRun(ref: RemoteRef, outcome: BatchOutcome, now: number): void;
  /** Every remote's status, in the order they were first seen. */
  statuses(): RemoteStatus[];
  /** Sets the up and last-success gauges, one series per label. */
  collect(up: Gauge<'remote'>, lastSuccess: Gauge<'remote'>): void;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const key = (r: RemoteRef): string => `${r.root}\u0000${r.label}`;
/** One line, bounded: a status field and a health reason must stay readable. */
const oneLine = (s: string): string => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
};

/** A fresh book; `onNew` runs once per remote (the daemon creates its series at 0 there). */
export function createRemoteBook(onNew: (ref: RemoteRef) => void): RemoteBook {
  const remotes = new Map<string, RemoteState>();
  const stateOf = (ref: RemoteRef): RemoteState => {
    let s = remotes.get(key(ref));
    if (s === undefined) {
      s = {
        ref: { label: ref.label, root: ref.root },
        failures: 0,
        consecutiveFailures: 0,
        lastSuccessAt: null,
        lastFailureAt: null,
        failingSince: null,
        lastError: null,
        lastWarning: null,
      };
      remotes.set(key(ref), s);
      onNew(ref);
    }
    return s;
  };
  return {
    get: (ref) => {
      stateOf(ref);
    },
    recordRun(ref, outcome, now) {
      const s = stateOf(ref);
      if (outcome.kind === 'ok') {
        s.consecutiveFailures = 0;
        s.failingSince = null;
        s.lastSuccessAt = now;
        if (outcome.warning !== undefined) s.lastWarning = oneLine(outcome.warning);
        return;
      }
      s.failures++;
      s.consecutiveFailures++;
      s.failingSince ??= now;
      s.lastFailureAt = now;
      const what =
        outcome.kind === 'failed'
          ? outcome.reason
          : `partial: ${outcome.failedPaths.length} path(s) failed`;
      // rsync's own line (e.g. "@ERROR: auth failed on module data") says what to fix.
      s.lastError = oneLine(
        outcome.errorLine === undefined ? what : `${what}: ${outcome.errorLine}`,
      );
    },
    statuses: () =>
      [...remotes.values()].map((s): RemoteStatus => ({
        label: s.ref.label,
        root: s.ref.root,
        failures: s.failures,
        consecutiveFailures: s.consecutiveFailures,
        lastSuccessAt: iso(s.lastSuccessAt),
        lastFailureAt: iso(s.lastFailureAt),
        failingSince: iso(s.failingSince),
        lastError: s.lastError,
        lastWarning: s.lastWarning,
      })),
    collect(upGauge, lastGauge) {
      // Two roots may push to the same remote label: the label is up only when both are.
      const up = new Map<string, number>();
      const last = new Map<string, number>();
      for (const s of remotes.values()) {
        const l = s.ref.label;
        up.set(l, Math.min(up.get(l) ?? 1, s.consecutiveFailures === 0 ? 1 : 0));
        if (s.lastSuccessAt !== null)
          last.set(l, Math.max(last.get(l) ?? 0, s.lastSuccessAt / 1000));
      }
      upGauge.reset();
      lastGauge.reset();
      for (const [remote, v] of up) upGauge.set({ remote }, v);
      for (const [remote, v] of last) lastGauge.set({ remote }, v);
    },
  };
}
