// The durable journal's byte format: a file header, then self-delimiting records (marker, length,
// CRC-32, payload), so a record torn by a crash, or any garbage, is detected and skipped, and a
// decoder can resynchronise on the next intact record. Paths and target keys are BytePaths, stored
// as their raw bytes (format 2); format 1 files (UTF-8 only) are still read. Pure
// (docs/reliability.md "Format").
import { decodeName, encodeName, type BytePath } from '../util/byte-names.js';

/** One journal entry: a path of a target became pending, or was synced ("done"). */
export interface JournalRecord {
  readonly kind: 'pending' | 'done';
  /** The queue's target key (root x remote). Any BytePath. */
  readonly targetKey: BytePath;
  /** Path relative to the root ('' = the whole root). Any BytePath (raw bytes, newlines, NUL, ...). */
  readonly path: BytePath;
  readonly op?: 'upsert' | 'remove';
  readonly isDir?: boolean;
  /** On 'done' only: the path AND everything outstanding below it were synced. */
  readonly subtree?: boolean;
}

/** The format version this code writes: 2 = names as raw bytes. 1 = names as UTF-8 (read only). */
export type JournalVersion = 1 | 2;

/** First bytes of every journal file we write; the last byte before '\n' is the format version. */
export const JOURNAL_HEADER: Uint8Array = new TextEncoder().encode('SSYNCJ2\n');
/** The header of format 1 (releases before names were bytes): still replayed, then rewritten as 2. */
export const JOURNAL_HEADER_V1: Uint8Array = new TextEncoder().encode('SSYNCJ1\n');

/** Record marker byte: where a decoder may start looking for a record. */
const MARK = 0xd7;
/** marker (1) + payload length (u32 LE) + CRC-32 of length field and payload (u32 LE). */
const FRAME_BYTES = 9;
/** kind (1) + flags (1) + target-key length (u32 LE). */
const FIXED_PAYLOAD = 6;
/** Larger lengths are garbage (a path is at most PATH_MAX = 4096 bytes on Linux). */
export const MAX_PAYLOAD = 1 << 20;

const KIND_CODE = { pending: 1, done: 2 } as const;
const F_OP = 1;
const F_REMOVE = 2;
const F_DIR_SET = 4;
const F_DIR = 8;
const F_SUBTREE = 16;
const KNOWN_FLAGS = F_OP | F_REMOVE | F_DIR_SET | F_DIR | F_SUBTREE;

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of `b[start, end)`, continuing from `crc` (0 to begin). */
export function crc32(b: Uint8Array, start = 0, end = b.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (b[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}

// Format 1: invalid UTF-8 makes a record garbage (fatal); ignoreBOM: a path may start with U+FEFF.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The raw bytes' length of `s`, or -1 when `s` is no BytePath a decode could give back: a lone
 * surrogate outside U+DC80..U+DCFF (it would come back as U+FFFD), or raw-byte surrogates that
 * spell valid UTF-8 (U+DCC3 U+DC97 would come back as U+00D7). Plain well-formed text is fast.
 */
function nameBytes(s: BytePath): number {
  if (s.isWellFormed()) return Buffer.byteLength(s);
  const bytes = encodeName(s);
  return decodeName(bytes) === s ? bytes.length : -1;
}

/**
 * The encoded size of `r` (frame + payload); throws on a record no decoder could give back (a bug):
 * a string that is not a BytePath (see nameBytes), a payload over MAX_PAYLOAD, `subtree` on a
 * 'pending'. Encodes nothing.
 */
export function checkedSize(r: JournalRecord): number {
  const keyBytes = nameBytes(r.targetKey);
  if (keyBytes < 0) throw new Error('Internal error: journal target key is not a BytePath');
  const pathBytes = nameBytes(r.path);
  if (pathBytes < 0) throw new Error('Internal error: journal path is not a BytePath');
  if (r.subtree === true && r.kind !== 'done')
    throw new Error('Internal error: subtree on a pending record');
  const size = FRAME_BYTES + FIXED_PAYLOAD + keyBytes + pathBytes;
  if (size - FRAME_BYTES > MAX_PAYLOAD)
    throw new Error(`Internal error: journal record of ${size - FRAME_BYTES} bytes`);
  return size;
}

/** Encodes records back to back into one buffer. Throws as checkedSize does (before writing anything). */
export function encodeRecords(records: readonly JournalRecord[]): Buffer {
  let total = 0;
  for (const r of records) total += checkedSize(r);
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const r of records) {
    const start = p;
    out[p] = MARK;
    out[p + 9] = KIND_CODE[r.kind];
    out[p + 10] =
      (r.op === undefined ? 0 : F_OP | (r.op === 'remove' ? F_REMOVE : 0)) |
      (r.isDir === undefined ? 0 : F_DIR_SET | (r.isDir ? F_DIR : 0)) |
      (r.subtree === true ? F_SUBTREE : 0);
    const keyLen = putName(out, r.targetKey, p + 15);
    out.writeUInt32LE(keyLen, p + 11);
    p += 15 + keyLen;
    p += putName(out, r.path, p);
    out.writeUInt32LE(p - start - FRAME_BYTES, start + 1);
    out.writeUInt32LE(
      crc32(out, start + FRAME_BYTES, p, crc32(out, start + 1, start + 5)),
      start + 5,
    );
  }
  return out;
}

/** Writes the raw bytes of `s` (a BytePath, checked) at `at`; returns how many. */
function putName(out: Buffer, s: BytePath, at: number): number {
  // Well-formed text: write() stores exactly byteLength bytes, none replaced; else its raw bytes.
  if (s.isWellFormed()) return out.write(s, at, 'utf8');
  return encodeName(s).copy(out, at);
}

/** Encodes one record (frame + payload). Throws as checkedSize does. */
export function encodeRecord(r: JournalRecord): Buffer {
  return encodeRecords([r]);
}

/** What encodeRecord(r).length is for a record of this target key and path (any kind and flags). */
export function encodedSize(targetKey: BytePath, path: BytePath): number {
  return FRAME_BYTES + FIXED_PAYLOAD + nameBytes(targetKey) + nameBytes(path);
}

const startsWith = (head: Uint8Array, h: Uint8Array): boolean | 'prefix' => {
  const n = Math.min(head.length, h.length);
  for (let i = 0; i < n; i++) if (head[i] !== h[i]) return false;
  return head.length >= h.length ? true : 'prefix';
};

/**
 * Where a file stands: `ok` (starts with the current header), `v1` (with format 1's: replay it,
 * then rewrite it), `empty` (a prefix of a header: new), or `foreign` (another program's file, or
 * a newer format).
 */
export function checkHeader(head: Uint8Array): 'ok' | 'v1' | 'empty' | 'foreign' {
  const now = startsWith(head, JOURNAL_HEADER);
  if (now === true) return 'ok';
  const v1 = startsWith(head, JOURNAL_HEADER_V1);
  if (v1 === true) return 'v1';
  return now === 'prefix' || v1 === 'prefix' ? 'empty' : 'foreign';
}

/** A name field: format 2 any bytes (decodeName), format 1 valid UTF-8 only (else garbage). */
function readName(b: Uint8Array, version: JournalVersion): BytePath | undefined {
  if (version === 2) return decodeName(b);
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}

function decodePayload(
  b: Uint8Array,
  start: number,
  end: number,
  version: JournalVersion,
): JournalRecord | undefined {
  const kindByte = b[start];
  const flags = b[start + 1] ?? 0;
  const kind = kindByte === 1 ? 'pending' : kindByte === 2 ? 'done' : undefined;
  if (kind === undefined || (flags & ~KNOWN_FLAGS) !== 0) return undefined;
  if ((flags & F_SUBTREE) !== 0 && kind !== 'done') return undefined;
  const keyLen = new DataView(b.buffer, b.byteOffset + start + 2, 4).getUint32(0, true);
  if (start + FIXED_PAYLOAD + keyLen > end) return undefined;
  const targetKey = readName(
    b.subarray(start + FIXED_PAYLOAD, start + FIXED_PAYLOAD + keyLen),
    version,
  );
  const path = readName(b.subarray(start + FIXED_PAYLOAD + keyLen, end), version);
  if (targetKey === undefined || path === undefined) return undefined;
  return {
    kind,
    targetKey,
    path,
    ...((flags & F_OP) !== 0 ? { op: (flags & F_REMOVE) !== 0 ? 'remove' : 'upsert' } : {}),
    ...((flags & F_DIR_SET) !== 0 ? { isDir: (flags & F_DIR) !== 0 } : {}),
    ...((flags & F_SUBTREE) !== 0 ? { subtree: true } : {}),
  };
}

/**
 * Incremental decoder for the bytes after the header of format `version` (default: the current
 * one). Feed chunks with `push`, then `finish`.
 * Bytes that are not an intact record (a torn tail, a flipped bit, garbage) are skipped and
 * counted in `garbageBytes`; decoding resumes at the next intact record. Holds at most one
 * record's worth of bytes (<= MAX_PAYLOAD + a chunk) between calls.
 */
export class JournalDecoder {
  #buf: Uint8Array = new Uint8Array(0);
  #garbage = 0;
  #finished = false;
  readonly #version: JournalVersion;

  constructor(version: JournalVersion = 2) {
    this.#version = version;
  }

  /** Bytes skipped so far because they were not part of an intact record. */
  get garbageBytes(): number {
    return this.#garbage;
  }

  /** Decodes the records complete in what was pushed so far. */
  push(chunk: Uint8Array): JournalRecord[] {
    if (this.#finished) throw new Error('Internal error: JournalDecoder.push after finish');
    if (this.#buf.length === 0)
      this.#buf = new Uint8Array(chunk); // a copy, also of a Buffer (whose slice() is a view)
    else {
      const joined = new Uint8Array(this.#buf.length + chunk.length);
      joined.set(this.#buf);
      joined.set(chunk, this.#buf.length);
      this.#buf = joined;
    }
    return this.#scan(false);
  }

  /** Decodes the rest; whatever cannot form a record (a torn tail) counts as garbage. */
  finish(): JournalRecord[] {
    const out = this.#scan(true);
    this.#finished = true;
    return out;
  }

  #scan(final: boolean): JournalRecord[] {
    const b = this.#buf;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: JournalRecord[] = [];
    let p = 0;
    while (p < b.length) {
      if (b[p] !== MARK) {
        const next = b.indexOf(MARK, p + 1);
        const to = next < 0 ? b.length : next;
        this.#garbage += to - p;
        p = to;
        continue;
      }
      let intact: JournalRecord | undefined;
      let size = 1;
      if (p + FRAME_BYTES <= b.length) {
        const len = view.getUint32(p + 1, true);
        if (len >= FIXED_PAYLOAD && len <= MAX_PAYLOAD) {
          if (p + FRAME_BYTES + len > b.length && !final) break; // wait for the rest
          if (p + FRAME_BYTES + len <= b.length) {
            const crc = crc32(b, p + FRAME_BYTES, p + FRAME_BYTES + len, crc32(b, p + 1, p + 5));
            if (crc === view.getUint32(p + 5, true)) {
              intact = decodePayload(b, p + FRAME_BYTES, p + FRAME_BYTES + len, this.#version);
              if (intact !== undefined) size = FRAME_BYTES + len;
            }
          }
        }
      } else if (!final) break;
      if (intact === undefined) this.#garbage += 1;
      else out.push(intact);
      p += size;
    }
    this.#buf = b.subarray(p);
    return out;
  }
}

/** Whole-buffer decode of the bytes after the header (tests, small files). */
export function decodeRecords(
  bytes: Uint8Array,
  version: JournalVersion = 2,
): {
  records: JournalRecord[];
  garbageBytes: number;
} {
  const d = new JournalDecoder(version);
  const records = [...d.push(bytes), ...d.finish()];
  return { records, garbageBytes: d.garbageBytes };
}
