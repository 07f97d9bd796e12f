// Loads confxml.xml: read bytes, decode (names are bytes: valid UTF-8 is text and every other byte
// stays that raw byte, whatever the declaration says), parse, validate against the real file
// system. Thin shell over pure parts.
import { accessSync, constants, readFile, statSync, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { posix } from 'node:path';
import type { Config, PluginName } from './types.js';
import { decodeName, fsPath } from '../util/byte-names.js';
import { err, ok, type Result } from '../util/result.js';
import type { ConfigIssue } from './issues.js';
import { parseXml } from './xml.js';
import { validateConfig, type FsProbe } from './validate.js';

export type { FsProbe } from './validate.js';

/** Why no config came out. The CLI maps not-found/unreadable to exit 66 and invalid to 78. */
export type LoadFailure =
  | { readonly kind: 'not-found' | 'unreadable'; readonly file: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly issues: readonly ConfigIssue[] /* errors and warnings */ };

/** A usable config and the warnings to print (unknown names, booleans that count as false, …). */
export interface Loaded {
  readonly config: Config;
  readonly warnings: readonly ConfigIssue[];
}

const readFileAsync = promisify(readFile);

/**
 * Decodes config bytes as sersync 2.5.4 read them, byte for byte: a UTF-8 BOM is stripped, valid
 * UTF-8 is text, and every other byte (a Latin-1 `é` 0xe9, a GBK `中` 0xd6 0xd0) stays that raw
 * byte (decodeName: a lone surrogate), so a path attribute names exactly the bytes on disk
 * whatever `encoding=` the declaration claims. Each raw byte is one column, as one byte is.
 */
export function decodeConfig(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') return bytes.startsWith('\uFEFF') ? bytes.slice(1) : bytes;
  const body =
    bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  return decodeName(body);
}

/**
 * Parses and validates config text or bytes. `file` is used in messages as given and resolved
 * against `cwd` for Config.file; relative paths inside resolve against `cwd`. Pure apart from
 * what `probe` does. Never throws for bad input.
 */
export function parseConfig(
  bytes: Uint8Array | string,
  file: string,
  probe: FsProbe,
  cwd: string,
  module?: PluginName,
): Result<Loaded, LoadFailure> {
  const text = decodeConfig(bytes);
  const tree = parseXml(text);
  if (!tree.ok) {
    const { line, col, message } = tree.error;
    return err({
      kind: 'invalid',
      issues: [
        {
          severity: 'error',
          file,
          line,
          col,
          path: 'head',
          kind: 'xml-syntax',
          message: `expected well-formed XML: ${message}`,
        },
      ],
    });
  }
  const absFile = posix.resolve(cwd, file);
  const v = validateConfig(tree.value, {
    file,
    absFile,
    cwd,
    probe,
    ...(module === undefined ? {} : { module }),
  });
  return v.ok ? ok(v.value) : err({ kind: 'invalid', issues: v.error });
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(fsPath(path), { throwIfNoEntry: false });
  } catch {
    return undefined; // EACCES on a parent, ENAMETOOLONG, …: as good as missing for validation
  }
}

/** The real file system, for validation (never throws). Paths are BytePaths (fsPath). */
export const realFsProbe: FsProbe = {
  isDirectory: (path) => statOrUndefined(path)?.isDirectory() ?? false,
  mode: (path) => statOrUndefined(path)?.mode,
  readable: (path) => {
    try {
      accessSync(fsPath(path), constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  owner: (path) => statOrUndefined(path)?.uid,
  ...(process.getuid === undefined ? {} : { uid: process.getuid() }),
};

/**
 * Reads `file` (relative to `opts.cwd`, default the process cwd) and validates it against the real
 * file system; `opts.module` is the `-m` plugin (validated for plugin-only mode, see validate.ts).
 */
export async function loadConfig(
  file: string,
  opts: { cwd?: string; module?: PluginName } = {},
): Promise<Result<Loaded, LoadFailure>> {
  const cwd = opts.cwd ?? process.cwd();
  let bytes: Uint8Array;
  try {
    bytes = await readFileAsync(posix.resolve(cwd, file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return err({ kind: 'not-found', file, message: `config file ${file} does not exist` });
    }
    const why =
      code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : (e as Error).message;
    return err({ kind: 'unreadable', file, message: `cannot read config file ${file}: ${why}` });
  }
  return parseConfig(bytes, file, realFsProbe, cwd, opts.module);
}
