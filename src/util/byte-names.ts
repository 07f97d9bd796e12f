// Names are bytes: the one path type of the pipeline and its conversions. Pure.
//
// A Linux file name is a byte string; most are UTF-8, some are Latin-1 or GBK. The pipeline
// carries every name and path as a `BytePath`: a JS string holding the UTF-8 text where the
// bytes are valid UTF-8, and each byte of an invalid sequence as one lone surrogate
// U+DC80..U+DCFF (byte 0xfc is U+DCFC), as Python's "surrogateescape" does (PEP 383). The
// mapping is a bijection: decodeName(encodeName(s)) === s and encodeName(decodeName(b)) equals b
// for every byte string, because a valid UTF-8 sequence never decodes to a lone surrogate.
// So the queue, merge, trie, shards and filter keep working on strings, and only the I/O edges
// convert: fs calls (fsPath), rsync's stdin list and sockets (encodeName), logs (displayName),
// URLs (percentEncode).

/**
 * A file name or path: UTF-8 text, with each byte that is not part of valid UTF-8 as the lone
 * surrogate U+DC00 + byte. Every string the pipeline holds as a path is one of these.
 */
export type BytePath = string;

const FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A lone surrogate standing for a raw byte (u flag: a surrogate pair is one code point). */
const RAW_BYTE = /[\udc80-\udcff]/u;
const RAW_BYTES = /[\udc80-\udcff]/gu;

/** True when `s` holds at least one raw (non-UTF-8) byte. */
export const hasRawBytes = (s: BytePath): boolean => RAW_BYTE.test(s);

/** Length of the valid UTF-8 sequence starting at b[i], or 0 when b[i] does not start one. */
function validSequence(b: Uint8Array, i: number): number {
  const c = b[i] ?? 0;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no UTF-16 surrogates
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function decodeEscaping(b: Uint8Array): BytePath {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const n = validSequence(b, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + (b[i] ?? 0));
      i++;
    } else {
      out += FATAL.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** The BytePath of raw name bytes (a readdir Buffer, an inotify record, a file's bytes). */
export function decodeName(b: Uint8Array): BytePath {
  try {
    return FATAL.decode(b);
  } catch {
    return decodeEscaping(b);
  }
}

/** The raw bytes of a BytePath (other lone surrogates, which no decode makes, become U+FFFD). */
export function encodeName(s: BytePath): Buffer {
  if (!RAW_BYTE.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of s.matchAll(RAW_BYTES)) {
    const at = m.index;
    if (at > last) parts.push(Buffer.from(s.slice(last, at), 'utf8'));
    parts.push(Buffer.of(s.charCodeAt(at) - 0xdc00));
    last = at + 1;
  }
  if (last < s.length) parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand node:fs for a BytePath: the string itself when it is plain UTF-8, else its bytes. */
export const fsPath = (s: BytePath): string | Buffer => (RAW_BYTE.test(s) ? encodeName(s) : s);

/** True when a name node:fs returned as a string may have lost bytes (it holds U+FFFD): read it again as a Buffer. */
export const mayBeLossy = (s: string): boolean => s.includes('\ufffd');

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\\u0000-\u001f\u007f\udc80-\udcff]/u;
// eslint-disable-next-line no-control-regex
const ESCAPES = /[\\\u0000-\u001f\u007f\udc80-\udcff]/gu;
const NAMED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
};

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * The operator's form of a BytePath in logs and the status endpoint: one line, never lossy.
 * A raw byte is `\xfc`, control characters are `\n`, `\t`, `\r` or `\x01`, a backslash is `\\`;
 * everything else (all valid UTF-8 text) is as it is. `good\xfc.txt` is the file whose name has
 * the byte 0xfc between `good` and `.txt`.
 */
export function displayName(s: BytePath): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPES, (ch) => {
    const named = NAMED[ch];
    if (named !== undefined) return named;
    const code = ch.charCodeAt(0);
    return `\\x${hex2(code >= 0xdc00 ? code - 0xdc00 : code)}`;
  });
}

/** RFC 3986 unreserved bytes, plus '/' when `keepSlash`. */
const unreserved = (byte: number, keepSlash: boolean): boolean =>
  (byte >= 0x30 && byte <= 0x39) ||
  (byte >= 0x41 && byte <= 0x5a) ||
  (byte >= 0x61 && byte <= 0x7a) ||
  byte === 0x2d ||
  byte === 0x2e ||
  byte === 0x5f ||
  byte === 0x7e ||
  (keepSlash && byte === 0x2f);

/**
 * Percent-encodes the raw bytes of a BytePath (every byte but the unreserved ones, and '/' when
 * `keepSlash`): `good\xfc.txt` is `good%FC.txt`, `é` (UTF-8) is `%C3%A9`. Never throws, unlike
 * encodeURIComponent on a lone surrogate.
 */
export function percentEncode(s: BytePath, keepSlash = false): string {
  let out = '';
  for (const byte of encodeName(s)) {
    out += unreserved(byte, keepSlash) ? String.fromCharCode(byte) : `%${hex2(byte).toUpperCase()}`;
  }
  return out;
}
