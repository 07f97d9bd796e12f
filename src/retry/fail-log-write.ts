// One write of the <failLog> file, never through a link or into a file we do not own
// (docs/security.md). The text goes to the file as its bytes (encodeName: a raw byte kept
// verbatim from an entry found in the file is written back as that byte). Shell.
//
//   open O_NOFOLLOW --ours--> full? --yes--> ftruncate + whole file ; --no--> append the new entries
//     --absent--> created O_EXCL, then as ours
//     --a link / not ours--> whole file to an exclusive temp, renamed over the name (replaced)
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { encodeName, fsPath } from '../util/byte-names.js';
import { appendAll, createExclusive, notOurs, replaceFile } from '../util/safe-fs.js';
import { readAll } from './fail-log-inherit.js';
import type { InheritedEntry } from './fail-log-render.js';

const { O_RDWR, O_APPEND, O_NOFOLLOW } = constants;

export interface FailLogWrite {
  readonly path: string;
  /** Rewrite the whole file (entries were resolved, or the last write may have left it half done). */
  readonly full: boolean;
  /** The file's size after our last write: another size means another writer appended. */
  readonly lastSize: number;
  /** The whole file, with `keep` (entries not ours) at the top. */
  readonly whole: (keep: readonly InheritedEntry[]) => string;
  /** The entries recorded since the last write. */
  readonly appendText: () => string;
  /** The entries not ours in the file's current text (another writer's), to keep. */
  readonly foreign: (text: string) => InheritedEntry[];
  /** The entries not ours kept so far. */
  readonly keep: readonly InheritedEntry[];
}

export interface FailLogWritten {
  readonly how: 'append' | 'rewrite' | 'replace';
  /** The file's size now. */
  readonly size: number;
  /** The entries not ours, as now in the file. */
  readonly keep: readonly InheritedEntry[];
}

function replaced(w: FailLogWrite): FailLogWritten {
  const bytes = encodeName(w.whole(w.keep));
  replaceFile(w.path, bytes, 0o600);
  return { how: 'replace', size: bytes.length, keep: w.keep };
}

/** Writes the file as `w` says; throws on an I/O error (the caller retries with a full write). */
export function writeFailLog(w: FailLogWrite): FailLogWritten {
  let fd: number;
  try {
    fd = openSync(fsPath(w.path), O_RDWR | O_APPEND | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return replaced(w); // a planted link: replaced, never followed
    if (code !== 'ENOENT') throw e;
    fd = createExclusive(w.path, 0o600, O_RDWR | O_APPEND);
  }
  try {
    const st = fstatSync(fd);
    // Someone else's file (or hard-linked): replaced, never written into.
    if (notOurs(st) !== undefined) return replaced(w);
    if ((st.mode & 0o7777) !== 0o600) fchmodSync(fd, 0o600); // the original left it 0777
    const full = w.full || st.size === 0;
    let keep = w.keep;
    // Another writer (a second instance sharing the stock path) appended: keep its entries.
    if (full && st.size !== w.lastSize && st.size > 0) keep = w.foreign(readAll(fd, st.size));
    const text = full ? w.whole(keep) : w.appendText();
    if (full) ftruncateSync(fd, 0);
    appendAll(fd, encodeName(text));
    return { how: full ? 'rewrite' : 'append', size: fstatSync(fd).size, keep };
  } finally {
    closeSync(fd);
  }
}
