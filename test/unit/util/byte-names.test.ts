// The one path type: every byte string round-trips, valid UTF-8 stays text, the display and
// URL forms are lossless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeName,
  displayName,
  encodeName,
  fsPath,
  hasRawBytes,
  percentEncode,
} from '../../../src/util/byte-names.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

const CASES: readonly {
  name: string;
  bytes: Buffer;
  text: string;
  display: string;
  url: string;
}[] = [
  { name: 'ascii', bytes: b(...ascii('a.txt')), text: 'a.txt', display: 'a.txt', url: 'a.txt' },
  {
    name: 'Latin-1 ü (0xfc)',
    bytes: b(...ascii('good'), 0xfc, ...ascii('.txt')),
    text: 'good\udcfc.txt',
    display: 'good\\xfc.txt',
    url: 'good%FC.txt',
  },
  {
    name: 'UTF-8 é',
    bytes: b(0xc3, 0xa9),
    text: 'é',
    display: 'é',
    url: '%C3%A9',
  },
  {
    name: 'GBK 中文 (d6 d0 ce c4)',
    bytes: b(0xd6, 0xd0, 0xce, 0xc4),
    text: '\udcd6\udcd0\udcce\udcc4',
    display: '\\xd6\\xd0\\xce\\xc4',
    url: '%D6%D0%CE%C4',
  },
  {
    name: 'UTF-8 emoji stays one code point',
    bytes: b(0xf0, 0x9f, 0x98, 0x80),
    text: '\u{1f600}',
    display: '\u{1f600}',
    url: '%F0%9F%98%80',
  },
  {
    name: 'encoded UTF-16 surrogate (CESU) is raw bytes',
    bytes: b(0xed, 0xb3, 0xbc),
    text: '\udced\udcb3\udcbc',
    display: '\\xed\\xb3\\xbc',
    url: '%ED%B3%BC',
  },
  {
    name: 'overlong slash is raw bytes',
    bytes: b(0xc0, 0xaf),
    text: '\udcc0\udcaf',
    display: '\\xc0\\xaf',
    url: '%C0%AF',
  },
  {
    name: 'truncated sequence at the end',
    bytes: b(0x61, 0xe2, 0x82),
    text: 'a\udce2\udc82',
    display: 'a\\xe2\\x82',
    url: 'a%E2%82',
  },
  {
    name: 'a BOM is kept',
    bytes: b(0xef, 0xbb, 0xbf, 0x61),
    text: '\ufeffa',
    display: '\ufeffa',
    url: '%EF%BB%BFa',
  },
  {
    name: 'newline, tab, backslash',
    bytes: b(...ascii('a\nb\tc\\d')),
    text: 'a\nb\tc\\d',
    display: 'a\\nb\\tc\\\\d',
    url: 'a%0Ab%09c%5Cd',
  },
  {
    name: 'dir/sub keeps its slash in the display',
    bytes: b(...ascii('d/'), 0xe9),
    text: 'd/\udce9',
    display: 'd/\\xe9',
    url: 'd%2F%E9',
  },
];

for (const c of CASES) {
  test(`byte names: ${c.name}`, () => {
    assert.equal(decodeName(c.bytes), c.text);
    assert.deepEqual(encodeName(c.text), c.bytes);
    assert.equal(displayName(c.text), c.display);
    assert.equal(percentEncode(c.text), c.url);
    assert.equal(hasRawBytes(c.text), /\\x[89a-f]/.test(c.display));
  });
}

test('byte names: every 1- and 2-byte string round-trips', () => {
  for (let x = 0; x < 256; x++) {
    for (let y = 0; y < 256; y++) {
      const bytes = b(x, y);
      assert.deepEqual(encodeName(decodeName(bytes)), bytes);
    }
  }
});

test('byte names: random byte strings round-trip', () => {
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
  for (let n = 0; n < 2000; n++) {
    const bytes = Buffer.from(Array.from({ length: 1 + (n % 40) }, next));
    assert.deepEqual(encodeName(decodeName(bytes)), bytes);
  }
});

test('byte names: fsPath hands node:fs bytes only when it must', () => {
  assert.equal(fsPath('/srv/a.txt'), '/srv/a.txt');
  assert.deepEqual(fsPath('/srv/\udcfc'), Buffer.from([0x2f, 0x73, 0x72, 0x76, 0x2f, 0xfc]));
});

test('byte names: percentEncode keeps slashes when asked', () => {
  assert.equal(percentEncode('d/\udce9 x', true), 'd/%E9%20x');
});
