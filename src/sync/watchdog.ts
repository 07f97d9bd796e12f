// The run watchdog's decision: is rsync still making progress? Progress is any byte on its
// stdout/stderr, or a change of its I/O counters (/proc/PID/io rchar + wchar: a single big file on
// a slow link prints nothing with our --out-format until it is done, but reads and writes all the
// time). A run is killed only after `silenceMs` without either, never for its length. Pure.

/** What the watchdog remembers between two checks. */
export interface WatchState {
  /** When progress was last seen (output, or counters that moved since the previous check). */
  readonly progressAt: number;
  /** rchar + wchar at the previous check; undefined before the first or when unreadable. */
  readonly io?: number;
}

export type WatchVerdict =
  | { readonly kill: true }
  | { readonly kill: false; readonly next: WatchState; readonly checkInMs: number };

/** How often the counters are sampled: a tenth of the silence limit (>= 1 min for real limits). */
export function sampleEveryMs(silenceMs: number): number {
  return Math.max(1, Math.ceil(silenceMs / 10));
}

/**
 * One check at `now`: `outputAt` is when rsync last wrote to stdout/stderr, `io` its counters now
 * (undefined when /proc is not readable: then only output counts). Counters that differ from the
 * previous check count as progress at `now`. Kill when quiet for `silenceMs`; otherwise check
 * again after a sample interval, or sooner when the limit would be reached first.
 */
export function watchdogVerdict(
  state: WatchState,
  now: number,
  outputAt: number,
  io: number | undefined,
  silenceMs: number,
): WatchVerdict {
  const moved = io !== undefined && state.io !== undefined && io !== state.io;
  const progressAt = moved ? now : Math.max(state.progressAt, outputAt);
  const quietFor = now - progressAt;
  if (quietFor >= silenceMs) return { kill: true };
  const next: WatchState = io === undefined ? { progressAt } : { progressAt, io };
  return { kill: false, next, checkInMs: Math.min(silenceMs - quietFor, sampleEveryMs(silenceMs)) };
}

/** rchar + wchar of a /proc/PID/io text; undefined when either is missing. */
export function ioCounters(text: string): number | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const r = field('rchar');
  const w = field('wchar');
  return r === undefined || w === undefined ? undefined : r + w;
}
