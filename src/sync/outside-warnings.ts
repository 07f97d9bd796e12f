// Runs that reached the target but made rsync exit 23/24 over a path outside the batch: the
// transfer's root "." or an implied parent directory (an rsync daemon running as nobody cannot set
// the times of a root-owned module root). Each problem is logged once per destination: again only
// when its text changes, or after a clean run through that directory cleared it. Shell (logs).
import type { Logger } from '../log.js';
import { quotePath } from './batch-plan.js';
import { namedPath } from './rsync-output.js';

/** The one-line warning of a run that named only `outside` paths (for /status). */
export function outsideWarning(outside: readonly string[], stderrTail: string): string {
  const lines = problemLines(outside, stderrTail);
  return `reached the target; rsync named only paths outside the batch: ${[...lines.values()].join('; ')}`;
}

/** The stderr line naming each of `outside` (its normalised path -> line). */
function problemLines(outside: readonly string[], stderrTail: string): Map<string, string> {
  const wanted = new Set(outside.map(norm));
  const out = new Map<string, string>();
  for (const line of stderrTail.split('\n')) {
    const p = namedPath(line, '\u0000');
    if (p !== undefined && wanted.has(norm(p)) && !out.has(norm(p))) out.set(norm(p), line.trim());
  }
  for (const p of wanted) if (!out.has(p)) out.set(p, `rsync named ${quotePath(p || '.')}`);
  return out;
}

const norm = (p: string): string => {
  const n = p.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
};

export interface WarningLog {
  /**
   * A run to `destination` reached the target over `paths` ([''] for a full sync); `outside`: the
   * paths outside the batch rsync named (none for a clean run). Logs new or changed problems once;
   * a clean run clears the problems of the directories it went through.
   */
  settled(
    destination: string,
    outside: readonly string[],
    paths: readonly string[],
    stderrTail: string,
  ): void;
}

/** A warning log writing to `logger`. */
export function createWarningLog(logger: Logger): WarningLog {
  const byDest = new Map<string, Map<string, string>>();
  return {
    settled(destination, outside, paths, stderrTail) {
      let known = byDest.get(destination);
      const now = problemLines(outside, stderrTail);
      if (known === undefined && now.size === 0) return;
      known ??= new Map();
      byDest.set(destination, known);
      for (const [p, line] of now) {
        if (known.get(p) === line) continue;
        known.set(p, line);
        logger.warn(
          `rsync -> ${destination}: every path arrived, but rsync could not handle ${quotePath(p || '.')} outside the batch (not retried; logged once): ${line}`,
        );
      }
      for (const p of [...known.keys()])
        if (!now.has(p) && paths.some((x) => throughDir(x, p))) {
          known.delete(p);
          logger.info(`rsync -> ${destination}: the problem with ${quotePath(p || '.')} cleared`);
        }
    },
  };
}

/** Whether a run over `path` went through directory `dir` ('' only for a full sync). */
function throughDir(path: string, dir: string): boolean {
  if (path === '') return true;
  return dir !== '' && path.startsWith(`${dir}/`);
}
