// Names that are not UTF-8 (Latin-1, GBK, stray bytes) or hold control characters, mixed with
// shell syntax: for the journal and fail-log tests. `PWNED*` files appear only if a shell ran a
// name. Pure data.
import { decodeName, type BytePath } from '../../../src/util/byte-names.js';

/** The BytePath of a byte string written as latin1 text (`raw('good\\xfc')` = good, 0xfc). */
export const raw = (s: string): BytePath => decodeName(Buffer.from(s, 'latin1'));

/** Each a valid file name (no '/', no NUL). */
export const RAW_HOSTILE: readonly BytePath[] = [
  raw('good\xfc.txt'),
  raw('\xd6\xd0\xce\xc4.txt'), // GBK 中文
  raw("it's \xfc`touch PWNED_bt`$(touch PWNED_sub)"),
  raw('\xfc\n\xfc'), // newline between raw bytes
  raw('-\xff'),
  raw('=\xe9=x'),
  raw('\xc3'), // a truncated UTF-8 sequence
  raw('caf\xc3\xa9 \xe9'), // valid é then Latin-1 é
  'esc\u001b[31mred\rcr\u0001\u007f',
  raw('\x80\x81\x82\x83'),
  raw('\x95\\\x81\\x'), // GBK characters whose trail byte is a backslash (0x5c)
  raw('\xfc\'\xfc"\xfc'), // quotes right after raw bytes
  raw('--exclude=\xfc'),
  raw('bt\xe9`touch PWNED_bt`'),
  raw('semi\xe9;touch PWNED_semi'),
];
