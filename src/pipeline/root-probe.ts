// What a watch root looks like now, for the root guard (root-guard.ts) and the wait for a missing
// root: stat of the root and of `ROOT/..` (a mount point has another st_dev than its parent, as
// mountpoint(1) decides), whether it holds any entry, and the count of the entries below it that
// the `--max-delete` share is computed from. Shell (file system).
import { opendirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RegexRule } from '../config/types.js';
import { matchesEntry } from '../watch/exclude-match.js';
import { walk } from '../watch/walk.js';
import type { RootLook } from './root-guard.js';

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** stat(2) of the root (following a symlink, as the watcher does) and of its parent; one readdir entry. */
export function lookAt(root: string): RootLook {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    const c = code(e);
    const detail =
      c === 'ENOENT' || c === 'ENOTDIR'
        ? 'does not exist'
        : `cannot be read (${c ?? (e instanceof Error ? e.message : String(e))})`;
    return { kind: 'missing', detail };
  }
  if (!st.isDirectory()) return { kind: 'missing', detail: 'is not a directory' };
  try {
    const parent = statSync(join(root, '..'));
    const dir = opendirSync(root);
    let hasEntries: boolean;
    try {
      hasEntries = dir.readSync() !== null;
    } finally {
      dir.closeSync();
    }
    return { kind: 'dir', dev: st.dev, ino: st.ino, parentDev: parent.dev, hasEntries };
  } catch (e) {
    const c = code(e);
    if (c === 'ENOENT' || c === 'ENOTDIR') return { kind: 'missing', detail: 'does not exist' };
    return { kind: 'missing', detail: `cannot be read (${c ?? String(e)})` };
  }
}

/** Entries below `root` (files, directories, links), `<filter>` excludes skipped; null on error. */
export async function countEntries(
  root: string,
  rules: readonly RegexRule[],
  statWalk: boolean,
): Promise<number | null> {
  const regexes = rules.map((r) => r.regex);
  const errors = { seen: 0 };
  try {
    const stats = await walk({
      root,
      statWalk,
      isExcluded: (rel, isDir) => matchesEntry(regexes, rel, isDir),
      onError: () => {
        errors.seen++;
      },
    });
    return errors.seen > 0 ? null : stats.entries;
  } catch {
    return null;
  }
}
