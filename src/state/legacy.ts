// The state directory of earlier releases, `<dir of the fail log>/sersync-state`: whether an
// upgraded instance should import its journal and ran-before marker, and whether that directory
// can be trusted (docs/reliability.md, "State directory"). Pure: the caller passes what it saw.
import { posix } from 'node:path';

/** The marker of a state directory used before (the daemon's catch-up; also named in daemon.ts). */
export const RAN_BEFORE_FILE = 'ran-before';

/** What lstat/fstat said about the old directory. */
export type OldDirStat =
  | { readonly kind: 'absent' }
  | { readonly kind: 'link' }
  | { readonly kind: 'not-dir' }
  | { readonly kind: 'unreadable'; readonly why: string }
  | { readonly kind: 'dir'; readonly uid: number; readonly mode: number };

export type OldDirVerdict =
  | { readonly action: 'none' }
  | { readonly action: 'import' }
  | { readonly action: 'ignore'; readonly why: string };

/** The default state directory before this release. */
export function legacyStateDir(failLogPath: string): string {
  return posix.join(posix.dirname(failLogPath), 'sersync-state');
}

/**
 * The old directory to look at, or undefined: only when the state directory is the new default
 * (no `<failLog stateDir>`: an explicit one was used before too), differs from the old default,
 * and is fresh (no journal, no ran-before marker: this instance never ran with it).
 */
export function legacyCandidate(i: {
  readonly stateDir: string;
  readonly defaultStateDir: string;
  readonly failLogPath: string;
  readonly fresh: boolean;
}): string | undefined {
  if (!i.fresh || i.stateDir !== i.defaultStateDir) return undefined;
  const old = legacyStateDir(i.failLogPath);
  return old === i.stateDir ? undefined : old;
}

/**
 * Import only from a real directory (not a link) owned by us with mode 0700, as earlier releases
 * created it: one in /tmp with another owner, a link or group/other write bits may have been
 * planted to feed us paths to sync or delete.
 */
export function judgeOldDir(st: OldDirStat, euid: number): OldDirVerdict {
  switch (st.kind) {
    case 'absent':
      return { action: 'none' };
    case 'link':
      return { action: 'ignore', why: 'it is a symbolic link' };
    case 'not-dir':
      return { action: 'ignore', why: 'it is not a directory' };
    case 'unreadable':
      return { action: 'ignore', why: st.why };
    case 'dir':
      if (st.uid !== euid)
        return {
          action: 'ignore',
          why: `it is owned by uid ${st.uid}, not by this process (uid ${euid})`,
        };
      if ((st.mode & 0o022) !== 0)
        return {
          action: 'ignore',
          why: `it is writable by other users (mode ${(st.mode & 0o7777).toString(8)})`,
        };
      if ((st.mode & 0o777) !== 0o700)
        return {
          action: 'ignore',
          why: `its mode is ${(st.mode & 0o7777).toString(8)}, not 700 as sersync created it`,
        };
      return { action: 'import' };
  }
}
