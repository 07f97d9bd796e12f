// The <failLog> file on disk: the outstanding failed (target, path) -> latest wait status, in the
// original's format. New failures are appended (`tail -f` keeps working); the file is rewritten
// (truncate of our own verified descriptor) only when entries were resolved; at most one write
// per `minIntervalMs`, and one at flush(). Entries found at start (sersync2's or ours) are
// handed to the pipeline by inherited() and stay until resolved. Never written through a link
// or into a file we do not own (docs/security.md). Shell.
//
//   record/resolve --> dirty --(timer: at most one write per minIntervalMs)--> open O_NOFOLLOW
//     --ours--> resolved any? --yes--> ftruncate + whole file ; --no--> append the new entries
//     --a link / not ours--> whole file to an exclusive temp, renamed over the name (replaced)
import { closeSync, fchmodSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { constants } from 'node:fs';
import type { Target } from '../queue/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { appendAll, createExclusive, notOurs, replaceFile } from '../util/safe-fs.js';
import { renderEntry, type FailLogCommand } from './fail-log.js';
import { readAll, readAtStart, splitFailLog, type InheritedChange } from './fail-log-inherit.js';

export type { InheritedChange } from './fail-log-inherit.js';

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
  readonly commandFor: (target: Target, paths: readonly string[]) => FailLogCommand;
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

/** A foreign entry kept as it was. */
export interface InheritedEntry {
  readonly status: number | undefined;
  readonly text: string;
}

interface TargetFailures {
  readonly target: Target;
  readonly paths: Map<string, number>;
}

/** Renders the entries of `failures`: per target and status, commands of sorted paths. Linear (plus the sort). */
function renderFailures(
  failures: Iterable<TargetFailures>,
  commandFor: FailLogFileOptions['commandFor'],
  maxPathsPerEntry: number,
): string {
  const parts: string[] = [];
  for (const { target, paths } of failures) {
    const byStatus = new Map<number, string[]>();
    for (const [p, status] of paths) {
      const list = byStatus.get(status);
      if (list === undefined) byStatus.set(status, [p]);
      else list.push(p);
    }
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      list.sort();
      for (let i = 0; i < list.length; i += maxPathsPerEntry)
        parts.push(
          renderEntry({ status, ...commandFor(target, list.slice(i, i + maxPathsPerEntry)) }),
        );
    }
  }
  return parts.join('');
}

const renderInherited = (inherited: readonly InheritedEntry[]): string =>
  inherited
    .map((e) => `${e.status === undefined ? '' : `#errno ${e.status}\n`}${e.text}\n\n`)
    .join('');

/** Renders the whole file: inherited text, then per target and status, commands of sorted paths. */
export function renderFailLogFile(
  failures: Iterable<TargetFailures>,
  commandFor: FailLogFileOptions['commandFor'],
  inherited: readonly InheritedEntry[] = [],
  maxPathsPerEntry = 200,
): string {
  return renderInherited(inherited) + renderFailures(failures, commandFor, maxPathsPerEntry);
}

const { O_RDWR, O_APPEND, O_NOFOLLOW } = constants;
const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
const unused = (): never => {
  throw new Error('Internal error: no target to render');
};

/** Opens the fail-log writer: reads what the file holds now; nothing is written until a change. */
export function createFailLogFile(opts: FailLogFileOptions): FailLogFile {
  const clock = opts.clock ?? systemClock;
  const minInterval = opts.minIntervalMs ?? 3000;
  const maxPaths = opts.maxPathsPerEntry ?? 200;
  const warn = opts.onWarning ?? (() => undefined);
  const byTarget = new Map<string, TargetFailures>();
  /** Recorded but not yet in the file: appended at the next write. */
  const toAppend = new Map<string, TargetFailures>();
  const start = readAtStart(opts.path, warn);
  let found = start.text;
  /** Entries in the file that are not (or not yet known to be) ours: kept verbatim at the top. */
  let keep: InheritedEntry[] = start.open ? [] : splitFailLog(found, [], unused).keep;
  /** Targets seen (inherited() and record()): entries of theirs in the file are ours. */
  const known = new Map<string, Target>();
  /** The file's size after our last write (or at start): another size means another writer. */
  let lastSize = start.size;
  let rewrite = false;
  let dirty = false;
  let cancel: (() => void) | undefined;
  let lastWriteAt = -Infinity;
  let lastError: Error | undefined;

  const add = (m: Map<string, TargetFailures>, target: Target, path: string, status: number) => {
    let t = m.get(target.key);
    if (t === undefined) m.set(target.key, (t = { target, paths: new Map() }));
    t.paths.set(path, status);
  };

  const cmdOf = (t: Target): FailLogCommand => opts.commandFor(t, ['x']);
  const write = (): void => {
    const whole = (): string =>
      renderInherited(keep) + renderFailures(byTarget.values(), opts.commandFor, maxPaths);
    let fd: number;
    try {
      fd = openSync(opts.path, O_RDWR | O_APPEND | O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') fd = createExclusive(opts.path, 0o600, O_RDWR | O_APPEND);
      else if (code === 'ELOOP') {
        replace(whole()); // a planted link: replaced, never followed
        return;
      } else throw e;
    }
    try {
      const st = fstatSync(fd);
      if (notOurs(st) !== undefined) {
        replace(whole()); // someone else's file (or hard-linked): replaced, never written into
        return;
      }
      if ((st.mode & 0o7777) !== 0o600) fchmodSync(fd, 0o600); // the original left it 0777
      const full = rewrite || st.size === 0;
      // Another writer (a second instance sharing the stock path) appended: keep its entries.
      if (full && st.size !== lastSize && st.size > 0)
        keep = splitFailLog(readAll(fd, st.size), [...known.values()], cmdOf).keep;
      const text = full ? whole() : appendText();
      if (full) ftruncateSync(fd, 0);
      appendAll(fd, text);
      lastSize = fstatSync(fd).size;
      opts.onWritten?.(full ? 'rewrite' : 'append', lastSize);
    } finally {
      closeSync(fd);
    }
    settled();
  };
  const appendText = (): string => renderFailures(toAppend.values(), opts.commandFor, maxPaths);
  const replace = (text: string): void => {
    replaceFile(opts.path, text, 0o600);
    lastSize = Buffer.byteLength(text);
    opts.onWritten?.('replace', lastSize);
    settled();
  };
  const settled = (): void => {
    toAppend.clear();
    rewrite = false;
  };

  const writeNow = (): void => {
    cancel?.();
    cancel = undefined;
    if (!dirty) return;
    dirty = false;
    lastWriteAt = clock.now();
    try {
      write();
      lastError = undefined;
    } catch (e) {
      lastError = asError(e);
      rewrite = true; // whatever half happened, the next write starts from a clean file
      opts.onError?.(lastError);
    }
  };
  const changed = (): void => {
    dirty = true;
    if (cancel !== undefined) return;
    cancel = clock.setTimeout(writeNow, Math.max(0, lastWriteAt + minInterval - clock.now()));
  };

  return {
    record(target, paths, status) {
      if (paths.length === 0) return;
      known.set(target.key, target);
      for (const p of paths) {
        if (byTarget.get(target.key)?.paths.has(p) !== true) add(toAppend, target, p, status);
        add(byTarget, target, p, status);
      }
      changed();
    },
    resolve(target, paths) {
      const t = byTarget.get(target.key);
      if (t === undefined) return;
      const fresh = toAppend.get(target.key);
      let hit = false;
      for (const p of paths) {
        if (!t.paths.delete(p)) continue;
        if (fresh?.paths.delete(p) !== true) hit = true; // it is in the file: rewrite
      }
      if (t.paths.size === 0) byTarget.delete(target.key);
      if (fresh?.paths.size === 0) toAppend.delete(target.key);
      if (hit) {
        rewrite = true;
        changed();
      }
    },
    inherited(targets) {
      for (const t of targets) known.set(t.key, t);
      const split = splitFailLog(found, targets, cmdOf);
      found = '';
      keep = start.open ? [] : split.keep; // text anyone could write is never kept verbatim
      if (start.open && split.keep.length > 0)
        warn(
          `the fail log ${opts.path} was writable by other users: ${split.keep.length} entr(ies) not ours were dropped`,
        );
      for (const c of split.changes) add(byTarget, c.target, c.change.path, c.status);
      if (start.open) {
        rewrite = true; // the untrusted text goes at once
        changed();
      }
      return split.changes;
    },
    outstanding() {
      return new Map([...byTarget].map(([k, t]) => [k, new Map(t.paths)]));
    },
    flush() {
      writeNow();
      return lastError === undefined ? Promise.resolve() : Promise.reject(lastError);
    },
  };
}
