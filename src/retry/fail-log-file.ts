// The <failLog> file on disk: the outstanding failed (target, path) -> latest wait status, in the
// original's format. New failures are appended (`tail -f` keeps working); the file is rewritten
// (truncate of our own verified descriptor) only when entries were resolved; at most one write
// per `minIntervalMs`, and one at flush(). Entries found at start (sersync2's or ours) are
// handed to the pipeline by inherited() and stay until resolved. Never written through a link
// or into a file we do not own (docs/security.md). Shell, assembling:
//
//   record/resolve --> FailureSet (fail-log-set.ts) --> WriteThrottle (write-throttle.ts: at most
//     one write per minIntervalMs) --> writeFailLog (fail-log-write.ts: append, rewrite in place,
//     or replace a link / a file not ours) of the text from fail-log-render.ts
import type { Target } from '../queue/types.js';
import { displayName } from '../util/byte-names.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { FailLogCommand } from './fail-log.js';
import { readAtStart, splitFailLog, type InheritedChange } from './fail-log-inherit.js';
import {
  renderFailures,
  renderInherited,
  type CommandFor,
  type InheritedEntry,
} from './fail-log-render.js';
import { FailureSet } from './fail-log-set.js';
import { writeFailLog } from './fail-log-write.js';
import { createWriteThrottle } from './write-throttle.js';

export type { InheritedChange } from './fail-log-inherit.js';
export { renderFailLogFile, type InheritedEntry } from './fail-log-render.js';

/** What the sync side needs: note failures, and clear paths that later succeeded. */
export interface FailLogSink {
  /** `paths` of `target` failed with the raw wait status `status` (replaces an older status). */
  record(target: Target, paths: readonly string[], status: number): void;
  /** `paths` of `target` reached the target: drop them from the file. Unknown paths are ignored. */
  resolve(target: Target, paths: readonly string[]): void;
}

export interface FailLogFile extends FailLogSink {
  /** Outstanding failures: target key -> path -> status. A snapshot. */
  outstanding(): Map<string, Map<string, number>>;
  /**
   * The paths of the entries found in the file at start that belong to one of `targets` (same
   * watch root and destination; sersync2's `#errno` commands and ours), as changes to queue:
   * they stay in the file, counted as outstanding, until resolved. Entries of other destinations
   * stay in the file verbatim. Call once, before the first write.
   */
  inherited(targets: readonly Target[]): InheritedChange[];
  /** Writes what is pending now; resolves once the file reflects every change; rejects if that write failed. */
  flush(): Promise<void>;
}

export interface FailLogFileOptions {
  /** Absolute path of the script (`<failLog path>`). */
  readonly path: string;
  /** Builds the command re-doing `paths` of `target` (cwd + argv), e.g. from sync/argv.ts replayArgv. */
  readonly commandFor: CommandFor;
  /** Paths per rendered command (keeps argv far below ARG_MAX). Default 200. */
  readonly maxPathsPerEntry?: number;
  /** Minimum time between two writes. Default 3000 ms. */
  readonly minIntervalMs?: number;
  readonly clock?: Clock;
  /** Called when a write fails (the next change retries). */
  readonly onError?: (e: Error) => void;
  /** Something the operator should know (an untrusted file found, entries dropped). */
  readonly onWarning?: (message: string) => void;
  /** After each write: how it was written and its size (tests, debug). */
  readonly onWritten?: (how: 'append' | 'rewrite' | 'replace', bytes: number) => void;
}

const unused = (): never => {
  throw new Error('Internal error: no target to render');
};

/** Opens the fail-log writer: reads what the file holds now; nothing is written until a change. */
export function createFailLogFile(opts: FailLogFileOptions): FailLogFile {
  const maxPaths = opts.maxPathsPerEntry ?? 200;
  const warn = opts.onWarning ?? (() => undefined);
  const failures = new FailureSet();
  const start = readAtStart(opts.path, warn);
  let found = start.text;
  /** Entries in the file that are not (or not yet known to be) ours: kept verbatim at the top. */
  let keep: readonly InheritedEntry[] = start.open ? [] : splitFailLog(found, [], unused).keep;
  /** Targets seen (inherited() and record()): entries of theirs in the file are ours. */
  const known = new Map<string, Target>();
  /** The file's size after our last write (or at start): another size means another writer. */
  let lastSize = start.size;
  let rewrite = false;
  const cmdOf = (t: Target): FailLogCommand => opts.commandFor(t, ['x']);
  const render = (m: FailureSet['all']): string =>
    renderFailures(m.values(), opts.commandFor, maxPaths);

  const write = (): void => {
    const done = writeFailLog({
      path: opts.path,
      full: rewrite,
      lastSize,
      keep,
      whole: (k) => renderInherited(k) + render(failures.all),
      appendText: () => render(failures.fresh),
      foreign: (text) => splitFailLog(text, [...known.values()], cmdOf).keep,
    });
    keep = done.keep;
    lastSize = done.size;
    failures.written();
    rewrite = false;
    opts.onWritten?.(done.how, done.size);
  };
  const throttle = createWriteThrottle(
    opts.clock ?? systemClock,
    opts.minIntervalMs ?? 3000,
    write,
    (e) => {
      rewrite = true; // whatever half happened, the next write starts from a clean file
      opts.onError?.(e);
    },
  );

  return {
    record(target, paths, status) {
      if (paths.length === 0) return;
      known.set(target.key, target);
      failures.record(target, paths, status);
      throttle.changed();
    },
    resolve(target, paths) {
      if (!failures.resolve(target, paths)) return;
      rewrite = true;
      throttle.changed();
    },
    inherited(targets) {
      for (const t of targets) known.set(t.key, t);
      const split = splitFailLog(found, targets, cmdOf);
      found = '';
      keep = start.open ? [] : split.keep; // text anyone could write is never kept verbatim
      if (start.open && split.keep.length > 0)
        warn(
          `the fail log ${displayName(opts.path)} was writable by other users: ${split.keep.length} entr(ies) not ours were dropped`,
        );
      for (const c of split.changes) failures.found(c.target, c.change.path, c.status);
      if (start.open) {
        rewrite = true; // the untrusted text goes at once
        throttle.changed();
      }
      return split.changes;
    },
    outstanding: () => failures.snapshot(),
    flush() {
      const e = throttle.flush();
      return e === undefined ? Promise.resolve() : Promise.reject(e);
    },
  };
}
