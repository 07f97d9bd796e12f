// The <failLog> file on disk: the set of outstanding failed (target, path) -> latest wait status,
// rewritten atomically (tmp + rename, mode 0600) after changes, with bursts coalesced into one
// write. Unlike the original it is never appended blindly nor truncated after a replay. Shell.
import { chmod, rename, writeFile } from 'node:fs/promises';
import type { Target } from '../queue/types.js';
import { renderEntry, type FailLogCommand } from './fail-log.js';

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
  /** Resolves once the file reflects every change made so far; rejects if that write failed. */
  flush(): Promise<void>;
}

export interface FailLogFileOptions {
  /** Absolute path of the script (`<failLog path>`). */
  readonly path: string;
  /** Builds the command re-doing `paths` of `target` (cwd + argv), e.g. from sync/argv.ts replayArgv. */
  readonly commandFor: (target: Target, paths: readonly string[]) => FailLogCommand;
  /**
   * Entries found in the file at start-up that are not ours (parseFailLog's `foreign` ones: the
   * original's commands, hand edits); kept verbatim at the top, with their `#errno` line.
   */
  readonly inherited?: readonly InheritedEntry[];
  /** Paths per rendered command (keeps argv far below ARG_MAX). Default 200. */
  readonly maxPathsPerEntry?: number;
  /** Called when a write fails (the next change retries). */
  readonly onError?: (e: Error) => void;
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

/** Renders the whole file: inherited text, then per target and status, commands of sorted paths. */
export function renderFailLogFile(
  failures: Iterable<TargetFailures>,
  commandFor: FailLogFileOptions['commandFor'],
  inherited: readonly InheritedEntry[] = [],
  maxPathsPerEntry = 200,
): string {
  let out = inherited
    .map((e) => `${e.status === undefined ? '' : `#errno ${e.status}\n`}${e.text}\n\n`)
    .join('');
  for (const { target, paths } of failures) {
    const byStatus = new Map<number, string[]>();
    for (const [p, status] of paths) byStatus.set(status, [...(byStatus.get(status) ?? []), p]);
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      list.sort();
      for (let i = 0; i < list.length; i += maxPathsPerEntry) {
        out += renderEntry({ status, ...commandFor(target, list.slice(i, i + maxPathsPerEntry)) });
      }
    }
  }
  return out;
}

/** Opens the fail-log writer. Nothing is written until the first record/resolve. */
export function createFailLogFile(opts: FailLogFileOptions): FailLogFile {
  const byTarget = new Map<string, TargetFailures>();
  let dirty = false;
  let writing: Promise<void> | undefined;
  let lastError: Error | undefined;

  const writeOnce = async (): Promise<void> => {
    const text = renderFailLogFile(
      byTarget.values(),
      opts.commandFor,
      opts.inherited,
      opts.maxPathsPerEntry,
    );
    const tmp = `${opts.path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600); // the umask may have narrowed it; never wider (the original did chmod 777)
    await rename(tmp, opts.path);
  };
  const loop = async (): Promise<void> => {
    // Let the current burst of record/resolve calls land first: one write per burst.
    await new Promise((r) => setImmediate(r));
    while (dirty) {
      dirty = false;
      try {
        await writeOnce();
        lastError = undefined;
      } catch (e) {
        lastError = e instanceof Error ? e : new Error(String(e));
        opts.onError?.(lastError);
        break;
      }
    }
    writing = undefined;
  };
  const changed = (): void => {
    dirty = true;
    writing ??= loop();
  };

  return {
    record(target, paths, status) {
      if (paths.length === 0) return;
      let t = byTarget.get(target.key);
      if (t === undefined) {
        t = { target, paths: new Map() };
        byTarget.set(target.key, t);
      }
      for (const p of paths) t.paths.set(p, status);
      changed();
    },
    resolve(target, paths) {
      const t = byTarget.get(target.key);
      if (t === undefined) return;
      let hit = false;
      for (const p of paths) hit = t.paths.delete(p) || hit;
      if (t.paths.size === 0) byTarget.delete(target.key);
      if (hit) changed();
    },
    outstanding() {
      return new Map([...byTarget].map(([k, t]) => [k, new Map(t.paths)]));
    },
    async flush() {
      while (writing !== undefined) await writing;
      if (lastError !== undefined) throw lastError;
    },
  };
}
