// The journal's byte format: hostile and non-UTF-8 paths round-trip, format 1 files still decode,
// a torn tail or garbage is skipped and counted, decoding resumes on the next intact record, chunking does not change the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import {
  checkHeader,
  crc32,
  decodeRecords,
  encodedSize,
  encodeRecord,
  encodeRecords,
  JOURNAL_HEADER,
  JOURNAL_HEADER_V1,
  JournalDecoder,
  type JournalRecord,
} from '../../../src/retry/journal-codec.js';
import { HOSTILE } from '../sync/hostile-names.js';
import { V1_FILE, V1_RECORDS } from './journal-v1-fixture.js';

/** Names that are not UTF-8: Latin-1 `good\xfc.txt`, GBK `中文.txt`, a lone continuation byte, the marker byte. */
const RAW = [
  decodeName(Buffer.from('good\xfc.txt', 'latin1')),
  decodeName(Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x2e, 0x74, 0x78, 0x74])),
  decodeName(Buffer.from([0x80])),
  decodeName(Buffer.from([0xd7, 0xd7, 0x0a, 0xd7])),
  decodeName(Buffer.from('dir\xe9/nl\nin\xff/\xc3', 'latin1')), // also a truncated UTF-8 sequence
  decodeName(Buffer.from([0xed, 0xa0, 0x80])), // an encoded surrogate: three raw bytes
];

const PATHS = [
  ...HOSTILE,
  ...RAW,
  '',
  'dir/nl\nin\nthe\nmiddle',
  'nul\u0000inside',
  '\uFEFFstarts with a BOM',
  '\r\n',
  'a/'.repeat(2000) + 'deep',
  '\u00D7\u00D7\u00D7', // the marker byte is 0xD7; its UTF-8 form (C3 97) is not, but test near-misses
  String.fromCharCode(0xd7),
];

function sample(): JournalRecord[] {
  const out: JournalRecord[] = [];
  PATHS.forEach((path, i) => {
    const targetKey =
      i % 3 === 0
        ? '/srv/www\u00000'
        : i % 3 === 1
          ? '/srv/it\'s "root"\u00001'
          : decodeName(Buffer.from('/srv/\xd6\xd0\u00002', 'latin1'));
    out.push({
      kind: 'pending',
      targetKey,
      path,
      op: i % 3 === 0 ? 'remove' : 'upsert',
      isDir: i % 4 === 0,
    });
    out.push({ kind: 'pending', targetKey, path });
    out.push({ kind: 'done', targetKey, path, ...(i % 5 === 0 ? { subtree: true } : {}) });
    out.push({ kind: 'pending', targetKey, path, isDir: false });
  });
  return out;
}

test('hostile paths and every flag combination round-trip exactly', () => {
  const records = sample();
  const { records: back, garbageBytes } = decodeRecords(encodeRecords(records));
  assert.equal(garbageBytes, 0);
  assert.deepEqual(back, records);
});

test("the bytes are exactly the format's (journals written by earlier versions still replay)", () => {
  const records: JournalRecord[] = [
    {
      kind: 'pending',
      targetKey: '/srv/www\u00000',
      path: 'd/f\n\u00d7🙂',
      op: 'remove',
      isDir: true,
    },
    { kind: 'done', targetKey: 'k', path: '', subtree: true },
    { kind: 'pending', targetKey: 'k', path: 'p' },
  ];
  const golden =
    'd71a0000000b31d9f8010f0a0000002f7372762f7777770030642f660ac397f09f9982' +
    'd707000000bd26f5310210010000006b' +
    'd708000000faa023ac0100010000006b70';
  assert.equal(Buffer.from(encodeRecords(records)).toString('hex'), golden);
  assert.equal(Buffer.concat(records.map(encodeRecord)).toString('hex'), golden);
});

test('encodedSize is the encoded length', () => {
  for (const r of sample())
    assert.equal(encodedSize(r.targetKey, r.path), encodeRecord(r).length, JSON.stringify(r.path));
  assert.equal(
    encodedSize('k', '🙂'),
    encodeRecord({ kind: 'done', targetKey: 'k', path: '🙂' }).length,
  );
});

test('raw bytes are stored as themselves (format 2), not as UTF-8 of their surrogates', () => {
  const path = decodeName(Buffer.from('good\xfc.txt', 'latin1'));
  const key = decodeName(Buffer.from('/r\xe9\u00000', 'latin1'));
  const bytes = encodeRecord({ kind: 'pending', targetKey: key, path });
  assert.equal(
    bytes.subarray(9).toString('hex'),
    '0100' +
      '05000000' +
      Buffer.from('/r\xe9\u00000', 'latin1').toString('hex') +
      '676f6f64fc2e747874',
  );
  assert.equal(encodedSize(key, path), bytes.length);
  assert.deepEqual(decodeRecords(bytes).records, [{ kind: 'pending', targetKey: key, path }]);
});

test('a string that is no BytePath is refused, not silently changed', () => {
  for (const bad of [
    'bad\uD800', // a high surrogate: no byte
    '\uDC00', // a surrogate below U+DC80: no byte either
    '\uDCC3\uDC97', // "raw" bytes C3 97 are valid UTF-8: they would come back as U+00D7
    'x\uDCE4\uDCB8\uDCAD', // E4 B8 AD is 中
  ]) {
    assert.throws(
      () => encodeRecord({ kind: 'pending', targetKey: 't', path: bad }),
      /Internal error: journal path/,
      JSON.stringify(bad),
    );
    assert.throws(
      () => encodeRecord({ kind: 'pending', targetKey: bad, path: 'p' }),
      /Internal error: journal target key/,
      JSON.stringify(bad),
    );
  }
  assert.throws(
    () => encodeRecord({ kind: 'pending', targetKey: 't', path: 'p', subtree: true }),
    /Internal error/,
  );
});

test('a torn last record, cut at any byte, is ignored and counted as garbage', () => {
  const head = sample().slice(0, 6);
  const last: JournalRecord = {
    kind: 'pending',
    targetKey: 't',
    path: 'last\nrecord',
    op: 'remove',
    isDir: true,
  };
  const intact = encodeRecords(head);
  const tail = encodeRecord(last);
  for (let cut = 0; cut < tail.length; cut++) {
    const bytes = new Uint8Array(intact.length + cut);
    bytes.set(intact);
    bytes.set(tail.subarray(0, cut), intact.length);
    const got = decodeRecords(bytes);
    assert.deepEqual(got.records, head, `cut at ${cut}`);
    assert.equal(got.garbageBytes, cut, `cut at ${cut}`);
  }
  const whole = decodeRecords(new Uint8Array([...intact, ...tail]));
  assert.deepEqual(whole.records, [...head, last]);
});

test('garbage between records is skipped and decoding resumes at the next intact record', () => {
  const [a, b] = [sample()[0]!, sample()[5]!];
  const junk = new Uint8Array([
    0xd7, 0xff, 0xff, 0, 0, 1, 2, 3, 0xd7, 20, 0, 0, 0, 9, 9, 9, 9, 0, 0xd7,
  ]);
  const bytes = new Uint8Array([...encodeRecord(a), ...junk, ...encodeRecord(b)]);
  const got = decodeRecords(bytes);
  assert.deepEqual(got.records, [a, b]);
  assert.equal(got.garbageBytes, junk.length);
});

test('a flipped bit anywhere in a record drops that record only', () => {
  const records = sample().slice(0, 3);
  const mid = encodeRecord(records[1]!);
  for (let i = 0; i < mid.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const bad = new Uint8Array(mid);
      bad[i] = bad[i]! ^ bit;
      const bytes = new Uint8Array([
        ...encodeRecord(records[0]!),
        ...bad,
        ...encodeRecord(records[2]!),
      ]);
      const got = decodeRecords(bytes);
      assert.deepEqual(got.records, [records[0], records[2]], `byte ${i} bit ${bit}`);
      assert.ok(got.garbageBytes > 0);
    }
  }
});

const forge = (payload: number[]): Uint8Array => {
  const frame = new Uint8Array(9 + payload.length);
  const view = new DataView(frame.buffer);
  frame[0] = 0xd7;
  view.setUint32(1, payload.length, true);
  frame.set(payload, 9);
  view.setUint32(5, crc32(frame, 9, frame.length, crc32(frame, 1, 5)), true);
  return frame;
};

test('unknown kinds and flags are garbage even with a correct CRC; format 1 also refuses invalid UTF-8', () => {
  const good = forge([1, 0, 1, 0, 0, 0, 0x6b, 0x70]); // pending, key "k", path "p"
  assert.deepEqual(decodeRecords(good).records, [{ kind: 'pending', targetKey: 'k', path: 'p' }]);
  for (const payload of [
    [3, 0, 1, 0, 0, 0, 0x6b, 0x70], // kind 3
    [1, 0x20, 1, 0, 0, 0, 0x6b, 0x70], // unknown flag
    [1, 16, 1, 0, 0, 0, 0x6b, 0x70], // subtree on a pending
    [1, 0, 9, 0, 0, 0, 0x6b, 0x70], // key longer than the payload
  ]) {
    for (const version of [1, 2] as const) {
      const got = decodeRecords(forge(payload), version);
      assert.deepEqual(got.records, [], JSON.stringify(payload));
      assert.equal(got.garbageBytes, 9 + payload.length);
    }
  }
  for (const payload of [
    [1, 0, 1, 0, 0, 0, 0x6b, 0xff], // invalid UTF-8
    [1, 0, 1, 0, 0, 0, 0x6b, 0xed, 0xa0, 0x80], // an encoded surrogate
  ]) {
    // Format 1 never wrote such bytes: garbage there. In format 2 they are a name's raw bytes.
    assert.deepEqual(decodeRecords(forge(payload), 1).records, [], JSON.stringify(payload));
    const [got] = decodeRecords(forge(payload)).records;
    assert.deepEqual(encodeName(got?.path ?? ''), Buffer.from(payload.slice(7)));
  }
});

test('crc32 is the IEEE CRC-32 (check value)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('header: ours (format 2), format 1, a prefix of one (new file), or foreign', () => {
  assert.equal(Buffer.from(JOURNAL_HEADER).toString(), 'SSYNCJ2\n');
  assert.equal(checkHeader(JOURNAL_HEADER), 'ok');
  assert.equal(checkHeader(new Uint8Array([...JOURNAL_HEADER, 1, 2])), 'ok');
  assert.equal(checkHeader(JOURNAL_HEADER_V1), 'v1');
  assert.equal(checkHeader(new Uint8Array([...JOURNAL_HEADER_V1, 0xd7])), 'v1');
  assert.equal(checkHeader(new Uint8Array(0)), 'empty');
  assert.equal(checkHeader(JOURNAL_HEADER.subarray(0, 3)), 'empty');
  assert.equal(checkHeader(JOURNAL_HEADER_V1.subarray(0, 7)), 'empty');
  assert.equal(checkHeader(new TextEncoder().encode('#errno 2560\n')), 'foreign');
  assert.equal(checkHeader(new TextEncoder().encode('SSYNCJ3\n')), 'foreign');
});

test('a format-1 file (bytes of the previous release) decodes to its records, as format 1 and as 2', () => {
  assert.equal(checkHeader(V1_FILE), 'v1');
  const body = V1_FILE.subarray(JOURNAL_HEADER_V1.length);
  for (const version of [1, 2] as const) {
    const got = decodeRecords(body, version);
    assert.equal(got.garbageBytes, 0);
    assert.deepEqual(got.records, V1_RECORDS);
  }
  // Format 2 lays out valid UTF-8 names exactly as format 1 did: only the header differs.
  assert.deepEqual(encodeRecords(V1_RECORDS), body);
});

test('property: any bytes as a path and a target key round-trip exactly', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 12 }), (p, k) => {
      const r: JournalRecord = { kind: 'pending', targetKey: decodeName(k), path: decodeName(p) };
      const bytes = encodeRecord(r);
      assert.equal(bytes.length, encodedSize(r.targetKey, r.path));
      const [back] = decodeRecords(bytes).records;
      assert.deepEqual(encodeName(back?.path ?? ''), Buffer.from(p));
      assert.deepEqual(encodeName(back?.targetKey ?? ''), Buffer.from(k));
    }),
  );
});

const recordArb: fc.Arbitrary<JournalRecord> = fc
  .oneof(
    fc.record(
      {
        kind: fc.constant('pending' as const),
        targetKey: fc.string({ unit: 'grapheme', maxLength: 8 }),
        path: fc.string({ unit: 'grapheme', maxLength: 30 }),
        op: fc.constantFrom('upsert' as const, 'remove' as const),
        isDir: fc.boolean(),
      },
      { requiredKeys: ['kind', 'targetKey', 'path'] },
    ),
    fc.record(
      {
        kind: fc.constant('done' as const),
        targetKey: fc.string({ maxLength: 8 }),
        path: fc.string({ unit: 'binary', maxLength: 30 }),
        subtree: fc.constant(true),
      },
      { requiredKeys: ['kind', 'targetKey', 'path'] },
    ),
  )
  .map((r) => ({ ...r })); // fast-check records have a null prototype; decoded ones do not

test('property: any split into chunks decodes like the whole buffer', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { maxLength: 20 }),
      fc.array(fc.nat(400), { maxLength: 6 }),
      fc.nat(30),
      (records, cuts, torn) => {
        const full = encodeRecords(records);
        const bytes = full.subarray(0, Math.max(0, full.length - torn));
        const whole = decodeRecords(bytes);
        const d = new JournalDecoder();
        const got: JournalRecord[] = [];
        let at = 0;
        for (const c of [...cuts].sort((x, y) => x - y).map((c) => Math.min(c, bytes.length))) {
          got.push(...d.push(bytes.subarray(at, Math.max(at, c))));
          at = Math.max(at, c);
        }
        got.push(...d.push(bytes.subarray(at)), ...d.finish());
        assert.deepEqual(got, whole.records);
        assert.equal(d.garbageBytes, whole.garbageBytes);
        // Exactly the records wholly before the cut decode; the torn one (if any) does not.
        let end = 0;
        const before = records.filter((r) => (end += encodeRecord(r).length) <= bytes.length);
        assert.deepEqual(whole.records, before);
        assert.equal(whole.garbageBytes, bytes.length - encodeRecords(before).length);
      },
    ),
  );
});

test('property: random garbage never throws and never yields a record', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
      const got = decodeRecords(junk);
      assert.equal(got.records.length, 0);
      assert.equal(got.garbageBytes, junk.length);
    }),
  );
});

test('property: garbage spliced between intact records loses no intact record', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 10 }),
      fc.array(fc.uint8Array({ maxLength: 60 }), { minLength: 1, maxLength: 10 }),
      (records, junks) => {
        const parts: number[] = [];
        records.forEach((r, i) =>
          parts.push(...(junks[i % junks.length] ?? []), ...encodeRecord(r)),
        );
        const got = decodeRecords(new Uint8Array(parts));
        assert.deepEqual(got.records, records);
      },
    ),
  );
});
