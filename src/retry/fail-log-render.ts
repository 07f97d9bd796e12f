// The text of the <failLog> file: entries kept verbatim (sersync2's or another writer's) first,
// then per target and status, commands of sorted paths in the original's format. Pure.
import type { Target } from '../queue/types.js';
import { renderEntry, type FailLogCommand } from './fail-log.js';

/** Builds the command re-doing `paths` of `target` (cwd + argv), e.g. from sync/argv.ts replayArgv. */
export type CommandFor = (target: Target, paths: readonly string[]) => FailLogCommand;

/** A foreign entry kept as it was. */
export interface InheritedEntry {
  readonly status: number | undefined;
  readonly text: string;
}

/** The outstanding failures of one target: path -> raw wait status. */
export interface TargetFailures {
  readonly target: Target;
  readonly paths: Map<string, number>;
}

/** Renders the entries of `failures`: per target and status, commands of sorted paths. Linear (plus the sort). */
export function renderFailures(
  failures: Iterable<TargetFailures>,
  commandFor: CommandFor,
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

/** Renders the kept entries as they were (with their `#errno` line when they had one). */
export const renderInherited = (inherited: readonly InheritedEntry[]): string =>
  inherited
    .map((e) => `${e.status === undefined ? '' : `#errno ${e.status}\n`}${e.text}\n\n`)
    .join('');

/** Renders the whole file: inherited text, then per target and status, commands of sorted paths. */
export function renderFailLogFile(
  failures: Iterable<TargetFailures>,
  commandFor: CommandFor,
  inherited: readonly InheritedEntry[] = [],
  maxPathsPerEntry = 200,
): string {
  return renderInherited(inherited) + renderFailures(failures, commandFor, maxPathsPerEntry);
}
