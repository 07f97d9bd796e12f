// Tree comparison by byte names: every directory is read as Buffers, so a name that is not UTF-8
// is compared as its bytes (never as U+FFFD). Names are shown with displayName (`good\xfc.txt`).
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { decodeName, displayName, encodeName, type BytePath } from '../../src/util/byte-names.js';

export interface ByteEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** File contents or link target, base64. */
  readonly content?: string;
}

const join = (a: Buffer, b: Buffer): Buffer => Buffer.concat([a, Buffer.from('/'), b]);

/** Relative BytePath -> entry, for every entry under `root` (a BytePath). */
export function readByteTree(root: BytePath): Map<BytePath, ByteEntry> {
  const out = new Map<BytePath, ByteEntry>();
  const walk = (dir: Buffer, rel: BytePath): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const full = join(dir, name);
      const r = rel === '' ? decodeName(name) : `${rel}/${decodeName(name)}`;
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out.set(r, { type: 'dir' });
        walk(full, r);
      } else if (st.isSymbolicLink())
        out.set(r, {
          type: 'symlink',
          content: readlinkSync(full, { encoding: 'buffer' }).toString('base64'),
        });
      else if (st.isFile())
        out.set(r, { type: 'file', content: readFileSync(full).toString('base64') });
      else out.set(r, { type: 'other' });
    }
  };
  walk(encodeName(root), '');
  return out;
}

/** The differences between the trees at `a` and `b` (empty when equal), names in display form. */
export function diffByteTrees(a: BytePath, b: BytePath): string[] {
  const ta = readByteTree(a);
  const tb = readByteTree(b);
  const diffs: string[] = [];
  for (const [p, ea] of ta) {
    const eb = tb.get(p);
    if (eb === undefined) diffs.push(`missing at target: ${displayName(p)}`);
    else if (ea.type !== eb.type || ea.content !== eb.content)
      diffs.push(`differs: ${displayName(p)}`);
  }
  for (const p of tb.keys()) if (!ta.has(p)) diffs.push(`extra at target: ${displayName(p)}`);
  return diffs;
}

/** Every path under `root` whose last name contains `part` (e.g. PWNED), in display form. */
export function findNames(root: BytePath, part: string): string[] {
  return [...readByteTree(root).keys()]
    .filter((p) => (p.split('/').at(-1) ?? '').includes(part))
    .map(displayName);
}
