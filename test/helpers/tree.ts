// Tree comparison oracle: names, types, sizes, contents, symlink targets (and modes when asked).
// Names are bytes: with `bytes`, names are read as Buffers and keyed by their bytes (one latin1
// character per byte, so `good\xfc.txt` is the key "good\u00fc.txt" and UTF-8 `ü` is "\u00c3\u00bc"):
// two trees compare equal only when every name is the same byte string.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  content?: string;
}

export interface ReadOptions {
  /** Read names as Buffers and key paths by their bytes (latin1), see the header. */
  bytes?: boolean;
}

/** The raw bytes of `root` + `/` + a byte-keyed relative path. */
const bytePath = (root: string | Buffer, rel: string): Buffer =>
  Buffer.concat([
    typeof root === 'string' ? Buffer.from(root) : root,
    ...(rel === '' ? [] : [Buffer.from('/'), Buffer.from(rel, 'latin1')]),
  ]);

/**
 * Reads a tree into a map of relative path -> entry (file contents as base64). `root` is a path, or
 * its raw bytes (a root whose name is not UTF-8).
 */
export function readTree(root: string | Buffer, opts: ReadOptions = {}): Map<string, TreeEntry> {
  const bytes = opts.bytes === true || Buffer.isBuffer(root);
  const at = (rel: string): string | Buffer =>
    bytes ? bytePath(root, rel) : rel === '' ? root : join(root, rel);
  const names = (rel: string): string[] =>
    bytes
      ? readdirSync(at(rel), { encoding: 'buffer' }).map((b) => b.toString('latin1'))
      : readdirSync(at(rel));
  const out = new Map<string, TreeEntry>();
  const walk = (rel: string): void => {
    for (const name of names(rel)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(at(r));
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { type: 'dir', size: 0, mode });
        walk(r);
      } else if (st.isSymbolicLink()) {
        const target = readlinkSync(at(r), { encoding: 'buffer' });
        out.set(r, { type: 'symlink', size: 0, mode: 0, content: target.toString('latin1') });
      } else if (st.isFile()) {
        out.set(r, {
          type: 'file',
          size: st.size,
          mode,
          content: readFileSync(at(r)).toString('base64'),
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
export interface DiffOptions extends ReadOptions {
  modes?: boolean;
  ignore?: (path: string) => boolean;
}

/** A byte-keyed path for a message: printable ASCII as it is, every other byte as \xHH. */
export function shownKey(p: string): string {
  return p.replace(
    /[^\x20-\x7e]|\\/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function diffTrees(
  a: string | Buffer,
  b: string | Buffer,
  opts: DiffOptions = {},
): string[] {
  const modes = opts.modes ?? false;
  const ignore = opts.ignore ?? ((): boolean => false);
  const ta = readTree(a, opts);
  const tb = readTree(b, opts);
  const show =
    opts.bytes === true || Buffer.isBuffer(a) || Buffer.isBuffer(b)
      ? shownKey
      : (p: string): string => p;
  const diffs: string[] = [];
  for (const [p, ea] of ta) {
    if (ignore(p)) continue;
    const eb = tb.get(p);
    if (!eb) diffs.push(`missing at target: ${show(p)}`);
    else if (ea.type !== eb.type) diffs.push(`type differs: ${show(p)} (${ea.type} vs ${eb.type})`);
    else if (ea.size !== eb.size || ea.content !== eb.content)
      diffs.push(`content differs: ${show(p)}`);
    else if (modes && ea.mode !== eb.mode)
      diffs.push(`mode differs: ${show(p)} (${ea.mode.toString(8)} vs ${eb.mode.toString(8)})`);
  }
  for (const p of tb.keys())
    if (!ta.has(p) && !ignore(p)) diffs.push(`extra at target: ${show(p)}`);
  return diffs;
}
