// The names behind a lossy path: @parcel/watcher reports paths as UTF-8 strings, so a name that
// is not UTF-8 arrives with U+FFFD where its bytes were (`good\xfc.txt` as `good\ufffd.txt`). Such
// a path is resolved by reading the directories along it again, losslessly (walk.ts readDir), and
// keeping the entries whose lossy form is the reported component. Shell (file system).
import { join } from 'node:path';
import { encodeName, mayBeLossy, type BytePath } from '../util/byte-names.js';
import { readDir } from './walk.js';
import { joinRel } from './watch-table.js';

/** Candidates kept per component (names that differ only in their invalid bytes look alike). */
const MAX_CANDIDATES = 64;

/** A name as a UTF-8 decoder that replaces invalid bytes shows it, runs of U+FFFD as one. */
export function lossyForm(name: BytePath): string {
  return encodeName(name)
    .toString('utf8')
    .replace(/\ufffd+/g, '\ufffd');
}

/** The entries of `dir` (relative, '' = root) whose lossy form is `component`'s. */
async function matching(root: string, dir: BytePath, component: string): Promise<BytePath[]> {
  const want = component.replace(/\ufffd+/g, '\ufffd');
  try {
    const list = await readDir(dir === '' ? root : join(root, dir));
    return list.filter((d) => lossyForm(d.name) === want).map((d) => joinRel(dir, d.name));
  } catch {
    return []; // gone, or not a directory: nothing there answers to the name
  }
}

/**
 * The existing paths (relative to `root`) whose lossy form is `rel` ('/'-separated, as a watcher
 * reported it): each component holding U+FFFD is matched against a lossless read of its parent.
 * Empty when nothing there matches (already gone). A component without U+FFFD is taken as it is
 * (whether it exists is for the caller's lstat).
 */
export async function resolveLossy(root: string, rel: string): Promise<BytePath[]> {
  let candidates: BytePath[] = [''];
  for (const component of rel.split('/')) {
    if (!mayBeLossy(component)) {
      candidates = candidates.map((c) => joinRel(c, component));
      continue;
    }
    const next: BytePath[] = [];
    for (const c of candidates) {
      if (next.length >= MAX_CANDIDATES) break;
      next.push(...(await matching(root, c, component)));
    }
    candidates = next.slice(0, MAX_CANDIDATES);
    if (candidates.length === 0) break;
  }
  return candidates;
}

/** `rel` without its last component ('' for a name directly in the root). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
