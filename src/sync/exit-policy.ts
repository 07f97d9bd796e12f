// How an rsync run ended -> what to do about it: a data table over every rsync exit code
// (meanings from the rsync man page, EXIT VALUES), modelled on lsyncd's rsyncExitCodes. Pure.
//
// Deviations from lsyncd, on purpose:
// - 23 / 24 are 'partial', not 'ok': unlike lsyncd we may never see another event for the path,
//   so the paths rsync names on stderr are retried (all paths when none can be named). sersync
//   counted 23 as success and lost those changes.
// - 1 / 2 / 4 / 25 are 'fatal' (no retry can fix them without an operator), but the paths are
//   still recorded in the fail log and reported as failed: nothing is dropped.
import type { RunOutcome } from './protocol.js';
import { decodeName, encodeName, type BytePath } from '../util/byte-names.js';
import { unreachable } from '../util/unreachable.js';

/** ok: done. partial: some paths failed. retry: transient, retry all. fatal: needs an operator. */
export type Verdict = 'ok' | 'partial' | 'retry' | 'fatal';

export interface Classification {
  readonly verdict: Verdict;
  /** One-line human meaning (rsync man page wording). */
  readonly meaning: string;
}

const c = (verdict: Verdict, meaning: string): Classification => ({ verdict, meaning });

/** Every documented rsync exit code. Codes not listed classify as 'retry' ("unknown exit code"). */
export const RSYNC_EXIT_CODES: Readonly<Record<number, Classification>> = Object.freeze({
  0: c('ok', 'success'),
  1: c('fatal', 'syntax or usage error'),
  2: c('fatal', 'protocol incompatibility'),
  3: c('retry', 'errors selecting input/output files, dirs'),
  4: c('fatal', 'requested action not supported'),
  // Also "auth failed", "unknown module" and "max connections": the daemon side can be fixed
  // (or frees a slot) without restarting us, so keep retrying with backoff, loudly.
  5: c('retry', 'error starting client-server protocol'),
  6: c('retry', 'daemon unable to append to log-file'),
  10: c('retry', 'error in socket I/O'),
  11: c('retry', 'error in file I/O'),
  12: c('retry', 'error in rsync protocol data stream'),
  13: c('retry', 'errors with program diagnostics'),
  14: c('retry', 'error in IPC code'),
  20: c('retry', 'received SIGUSR1 or SIGINT'),
  21: c('retry', 'some error returned by waitpid()'),
  22: c('retry', 'error allocating core memory buffers'),
  23: c('partial', 'partial transfer due to error'),
  24: c('partial', 'partial transfer due to vanished source files'),
  25: c('fatal', 'the --max-delete limit stopped deletions'),
  30: c('retry', 'timeout in data send/receive'),
  35: c('retry', 'timeout waiting for daemon connection'),
  255: c('retry', 'unexplained error (often the remote shell failed)'),
});

/** Spawn errors that no retry can fix: the executable is missing or not executable. */
const FATAL_SPAWN = /\b(ENOENT|EACCES|ENOTDIR|ELOOP|ENAMETOOLONG)\b/;

/** Classifies one run. Total: every outcome gets a verdict. */
export function classify(outcome: RunOutcome): Classification {
  switch (outcome.kind) {
    case 'exited':
      return RSYNC_EXIT_CODES[outcome.code] ?? c('retry', `unknown exit code ${outcome.code}`);
    case 'signaled':
      // Killed from outside (or by us on shutdown): nothing can be assumed about the target.
      return c('retry', `killed by ${outcome.signal}`);
    case 'spawn-error':
      return FATAL_SPAWN.test(outcome.message)
        ? c('fatal', `cannot start rsync: ${outcome.message}`)
        : c('retry', `cannot start rsync: ${outcome.message}`);
    case 'timed-out':
      return c('retry', 'killed after the run time limit');
    default:
      return unreachable(outcome);
  }
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/**
 * The raw wait status the original wrote after `#errno` (what `system()` returned): exit code
 * x 256, the signal number for a signal, 127 x 256 for a missing executable (what `sh -c` gives),
 * -1 for any other spawn failure, and 30 x 256 (rsync's own timeout code) for our time limit.
 */
export function waitStatus(outcome: RunOutcome): number {
  switch (outcome.kind) {
    case 'exited':
      return outcome.code * 256;
    case 'signaled':
      return SIGNALS[outcome.signal] ?? 15;
    case 'spawn-error':
      return /\bENOENT\b/.test(outcome.message) ? 127 * 256 : -1;
    case 'timed-out':
      return 30 * 256;
    default:
      return unreachable(outcome);
  }
}

/** Short text for log lines: `exit 23`, `signal SIGTERM`, `spawn error: …`, `timed out`. */
export function describeOutcome(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'exited':
      return `exit ${outcome.code}`;
    case 'signaled':
      return `signal ${outcome.signal}`;
    case 'spawn-error':
      return `spawn error: ${outcome.message}`;
    case 'timed-out':
      return 'timed out';
    default:
      return unreachable(outcome);
  }
}

/** Lines on which rsync names a path it could not handle (stderr; a few come on stdout). */
const PATH_LINES: readonly RegExp[] = [
  /^rsync: .*?"(.*)"/, // rsync: [sender] link_stat "/root/a" failed: No such file or directory (2)
  /^file has vanished: "(.*)"$/,
  /^could not make way for new [^:]*: (.*)$/,
  /^cannot delete non-empty directory: (.*)$/,
];

const ESCAPE = /\\#([0-7]{3})/g;

/**
 * The BytePath of a name as rsync prints it: without -8 rsync writes every byte its locale does
 * not print (control characters, every byte of invalid UTF-8, and every byte >= 0x80 in the C
 * locale) as `\#ooo` (octal), and a literal `\#ooo` in a name with its backslash as `\#134`, so
 * each escape is one byte. `good\#374.txt` is `good\xfc.txt`, `\#303\#251` is `é`.
 */
export function rsyncUnescape(s: string): BytePath {
  if (!s.includes('\\#')) return s;
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of s.matchAll(ESCAPE)) {
    if (m.index > last) parts.push(encodeName(s.slice(last, m.index)));
    parts.push(Buffer.of(parseInt(m[1] ?? '0', 8) & 0xff));
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push(encodeName(s.slice(last)));
  return decodeName(Buffer.concat(parts));
}

/**
 * The path an rsync error line names, relative to `cwd` (the watch root), or undefined when the
 * line names none. rsync's `\#ooo` escapes are decoded (rsyncUnescape). Not
 * guaranteed to name a path of the batch (receiver-side temp names, module-relative paths):
 * callers keep only the paths that match what they sent.
 */
export function failedPathOf(line: string, cwd: BytePath): BytePath | undefined {
  let p: string | undefined;
  for (const re of PATH_LINES) {
    p = re.exec(line)?.[1];
    if (p !== undefined) break;
  }
  if (p === undefined) return undefined;
  p = rsyncUnescape(p);
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`;
  if (p.startsWith(prefix)) p = p.slice(prefix.length);
  while (p.startsWith('./')) p = p.slice(2);
  if (p.endsWith('/')) p = p.slice(0, -1);
  return p === '' || p === '.' ? undefined : p;
}
