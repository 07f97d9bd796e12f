// Tree comparison oracle: names, types, sizes, contents, symlink targets (and modes when asked).
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  content?: string;
}

/** Reads a tree into a map of relative path -> entry (file contents as base64). */
export function readTree(root: string): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (rel: string): void => {
    const dir = rel === '' ? root : join(root, rel);
    for (const name of readdirSync(dir)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, r));
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { type: 'dir', size: 0, mode });
        walk(r);
      } else if (st.isSymbolicLink()) {
        out.set(r, { type: 'symlink', size: 0, mode: 0, content: readlinkSync(join(root, r)) });
      } else if (st.isFile()) {
        out.set(r, {
          type: 'file',
          size: st.size,
          mode,
          content: readFileSync(join(root, r)).toString('base64'),
        });
      } else {
        out.set(r, { type: 'other', size: 0, mode });
      }
    }
  };
  walk('');
  return out;
}

/** Returns a human-readable list of differences (empty when equal). Modes compared only if `modes`. */
export interface DiffOptions {
  modes?: boolean;
  ignore?: (path: string) => boolean;
}

export function diffTrees(a: string, b: string, opts: DiffOptions = {}): string[] {
  const modes = opts.modes ?? false;
  const ignore = opts.ignore ?? ((): boolean => false);
  const ta = readTree(a);
  const tb = readTree(b);
  const diffs: string[] = [];
  for (const [p, ea] of ta) {
    if (ignore(p)) continue;
    const eb = tb.get(p);
    if (!eb) diffs.push(`missing at target: ${p}`);
    else if (ea.type !== eb.type) diffs.push(`type differs: ${p} (${ea.type} vs ${eb.type})`);
    else if (ea.size !== eb.size || ea.content !== eb.content) diffs.push(`content differs: ${p}`);
    else if (modes && ea.mode !== eb.mode)
      diffs.push(`mode differs: ${p} (${ea.mode.toString(8)} vs ${eb.mode.toString(8)})`);
  }
  for (const p of tb.keys()) if (!ta.has(p) && !ignore(p)) diffs.push(`extra at target: ${p}`);
  return diffs;
}
