// The /status document (a plain JSON type) and the /healthz decision taken from it. Pure.
import { showRawBytes } from '../log-bytes.js';
import { displayName } from '../util/byte-names.js';

/** Where the service is in its life (docs/status.md). */
export type ServiceState = 'starting' | 'watching' | 'draining';

/** One watch root: watched, or waiting for it to appear; and why no full sync may run from it. */
export interface RootState {
  readonly root: string;
  /** `waiting`: missing (not mounted yet, deleted), not watched; checked every few seconds. */
  readonly state: 'watching' | 'waiting';
  /** Why the root makes the service unhealthy (waiting, or its full sync refused), or null. */
  readonly problem: string | null;
}

/** One `<remote>` of one `<localpath>`, as an operator reads it. Never carries a secret. */
export interface RemoteStatus {
  /** `user@127.0.0.1::module` or `127.0.0.1:path` (ssh), as in the log. */
  readonly label: string;
  /** The watch root pushed to this remote. */
  readonly root: string;
  /** rsync runs that failed (fully or partly) since start. */
  readonly failures: number;
  /** Failed runs since the last success (0 when the last run succeeded). */
  readonly consecutiveFailures: number;
  /** ISO-8601 time of the last fully successful run, or null. */
  readonly lastSuccessAt: string | null;
  /** ISO-8601 time of the last failed run, or null. */
  readonly lastFailureAt: string | null;
  /** ISO-8601 time of the first failure of the current failing streak; null when not failing. */
  readonly failingSince: string | null;
  /** One line about the last failure (exit code and rsync's message), or null. */
  readonly lastError: string | null;
  /**
   * One line about the last run that reached the target with a warning (rsync exit 23/24 naming
   * only "." or an implied parent directory), or null. Kept until a newer warning replaces it.
   */
  readonly lastWarning: string | null;
}

/** GET /status. Field meanings are in docs/status.md. */
export interface StatusReport {
  readonly state: ServiceState;
  /** ISO-8601 time the service started. */
  readonly startedAt: string;
  /** Absolute watch roots. */
  readonly roots: readonly string[];
  /** Each root's state, in config order (docs/status.md). */
  readonly rootStates: readonly RootState[];
  /** `inotify` or `parcel`; null before the watcher started. */
  readonly backend: string | null;
  /** Directories currently watched. */
  readonly watchCount: number;
  /** Paths waiting to be synced (queued + waiting for a retry), over all targets. */
  readonly pending: number;
  /** rsync runs in progress. */
  readonly inFlight: number;
  readonly remotes: readonly RemoteStatus[];
  /** Size of the fail-log file in bytes (0 when absent). */
  readonly failLogBytes: number;
}

/** GET /healthz: `ok` gives 200, otherwise 503; `reason` is the one-line body. */
export interface Health {
  readonly ok: boolean;
  readonly reason: string;
}

export interface HealthOptions {
  /**
   * How long a remote may keep failing before the service reports unhealthy. A short outage that
   * the retry queue recovers from does not flip the health check. Default 60 s.
   */
  readonly graceMs?: number;
}

/** Default `graceMs`: the retry backoff cap's default, so one full backoff round is tolerated. */
export const DEFAULT_HEALTH_GRACE_MS = 60_000;

/**
 * Healthy when the service is watching, every root is watched and none has a full sync refused
 * by the root guard, and no remote has been failing for `graceMs` or longer.
 * A remote that has not been used yet counts as reachable: nothing says otherwise, and an idle
 * tree must not page anyone. Every failing remote is named in the reason.
 */
export function assessHealth(report: StatusReport, now: number, opts: HealthOptions = {}): Health {
  const graceMs = opts.graceMs ?? DEFAULT_HEALTH_GRACE_MS;
  if (report.state !== 'watching') return { ok: false, reason: `not watching (${report.state})` };
  const roots = report.rootStates.flatMap((r) => (r.problem === null ? [] : [r.problem]));
  if (roots.length > 0) return { ok: false, reason: roots.join('; ') };
  const failing = report.remotes.flatMap((r) => {
    if (r.failingSince === null) return [];
    const since = Date.parse(r.failingSince);
    if (Number.isNaN(since) || now - since < graceMs) return [];
    const secs = Math.round((now - since) / 1000);
    return [
      `${r.label} failing for ${secs} s (${r.consecutiveFailures} run(s))${r.lastError === null ? '' : `: ${r.lastError}`}`,
    ];
  });
  if (failing.length > 0) return { ok: false, reason: `unreachable: ${failing.join('; ')}` };
  const n = report.remotes.length;
  return {
    ok: true,
    reason: `ok: watching ${report.roots.length} root(s), ${n} remote(s) reachable`,
  };
}

/** A Prometheus exposition (a metric-types.ts Registry): read at each GET /metrics (its collect hooks run then). */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** What the status server serves. */
export interface StatusSource {
  status(): StatusReport;
  health(): Health;
  readonly metrics: MetricsExposition;
}

const shown = (s: string | null): string | null => (s === null ? null : showRawBytes(s));

/**
 * The report as GET /status serves it: every path in displayName form (`/srv/good\xfc`, one
 * line, lossless), and any raw byte in the other texts (labels, problems, errors) as `\xfc` too,
 * never a lone surrogate a JSON reader would turn into U+FFFD. Pure.
 */
export function displayReport(r: StatusReport): StatusReport {
  return {
    ...r,
    roots: r.roots.map(displayName),
    rootStates: r.rootStates.map((s) => ({
      ...s,
      root: displayName(s.root),
      problem: shown(s.problem),
    })),
    remotes: r.remotes.map((x) => ({
      ...x,
      label: showRawBytes(x.label),
      root: displayName(x.root),
      lastError: shown(x.lastError),
      lastWarning: shown(x.lastWarning),
    })),
  };
}
