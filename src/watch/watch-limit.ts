// What an operator needs once inotify runs out of watches (ENOSPC): which sysctl, its value now,
// and the value the root needs (one watch per directory, counted by a walk that reads directories
// only, no stat). The original wrote 50000000 into the sysctl at every start; we never write host
// settings, so we say exactly what to set. `watchLimitAdvice` is pure; the rest reads /proc and
// walks the root. Shell.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { encodeName, type BytePath } from '../util/byte-names.js';

/** The limits in force for this process (undefined: not readable here). */
export interface WatchLimits {
  /** fs.inotify.max_user_watches (the host's, per user). */
  readonly userWatches: number | undefined;
  /** user.max_inotify_watches of this process's user namespace (a container's own cap). */
  readonly namespaceWatches: number | undefined;
}

const readNumber = (file: string): number | undefined => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
};

export function readWatchLimits(): WatchLimits {
  return {
    userWatches: readNumber('/proc/sys/fs/inotify/max_user_watches'),
    namespaceWatches: readNumber('/proc/sys/user/max_inotify_watches'),
  };
}

/** A value to set for `dirs` watches, with room for other programs: 1.25 x + 8192, rounded up. */
export function suggestedWatches(dirs: number): number {
  return Math.ceil((dirs * 1.25 + 8192) / 1000) * 1000;
}

/** The operator line for a root of `dirs` directories under `limits`. Pure. */
export function watchLimitAdvice(root: string, dirs: number, limits: WatchLimits): string {
  const want = suggestedWatches(dirs);
  const now = limits.userWatches === undefined ? 'unreadable' : String(limits.userWatches);
  const parts = [
    `inotify watch limit: ${root} has ${dirs} directories, one watch each; fs.inotify.max_user_watches is ${now}`,
  ];
  const ns = limits.namespaceWatches;
  if (ns !== undefined && (limits.userWatches === undefined || ns < limits.userWatches))
    parts.push(`and user.max_inotify_watches of this user namespace is ${ns}`);
  let fix = `set it to at least ${dirs} plus what other programs of this user watch: sysctl -w fs.inotify.max_user_watches=${want} (persist it in /etc/sysctl.d/)`;
  if (ns !== undefined && ns < want) fix += ` and sysctl -w user.max_inotify_watches=${want}`;
  return `${parts.join(' ')}; ${fix}`;
}

/** Directories below `root`, the root included (d_type only; unreadable ones are not entered). */
export async function countDirs(root: BytePath, cap = 100_000_000): Promise<number> {
  const stack: Buffer[] = [encodeName(root)];
  let count = 0;
  const slash = Buffer.from('/');
  while (stack.length > 0 && count < cap) {
    const dir = stack.pop();
    if (dir === undefined) break;
    count++;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory()) stack.push(Buffer.concat([dir, slash, e.name]));
  }
  return count;
}

/** Counts the root's directories and returns the advice line (for InotifyAlarms.watchLimit). */
export async function adviseWatchLimit(root: BytePath, display: string): Promise<string> {
  return watchLimitAdvice(display, await countDirs(root), readWatchLimits());
}
