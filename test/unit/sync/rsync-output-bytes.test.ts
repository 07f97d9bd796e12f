// Names are bytes in rsync's output: the lines below were captured from rsync 3.5.0 (client and
// daemon on 127.0.0.1, `--out-format=%o %l %n`, LANG=C.UTF-8 and LC_ALL=C). Without -8 rsync
// prints every byte its locale cannot print as `\#ooo` (octal), a literal `\#ooo` in a name with
// its backslash escaped; the parser turns them back into the BytePaths that were queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failedPathOf, rsyncUnescape } from '../../../src/sync/exit-policy.js';
import { lineSplitter, outputTally, parseItem } from '../../../src/sync/rsync-output.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { quotePath } from '../../../src/sync/batch-plan.js';

/** The BytePath of a byte string written with \xHH escapes (as printf would make the name). */
const bp = (s: string): string => decodeName(Buffer.from(s, 'latin1'));

test('rsyncUnescape: each \\#ooo is one byte, the result is the BytePath of those bytes', () => {
  const rows: [string, string][] = [
    ['plain.txt', 'plain.txt'],
    ['good\\#374.txt', bp('good\xfc.txt')], // Latin-1 ü
    ['fotos\\#351/in\\#304', bp('fotos\xe9/in\xc4')],
    ['\\#304\\#343\\#272\\#303', bp('\xc4\xe3\xba\xc3')], // GBK 你好
    ['new\\#303\\#251', 'newé'], // UTF-8 in the C locale: escaped bytes, valid UTF-8 again
    ['é.txt', 'é.txt'], // UTF-8 in a UTF-8 locale: printed as it is
    ['a\\#012b', 'a\nb'],
    ['back\\#134#101slash', 'back\\#101slash'], // a literal \#101 in the name
    ['x\\#12y', 'x\\#12y'], // not an escape (two digits): as printed
  ];
  for (const [printed, want] of rows) assert.equal(rsyncUnescape(printed), want, printed);
});

test('parseItem: the name of an item line is the BytePath', () => {
  const rows: [string, { op: string; name: string; length: number }][] = [
    ['send 1 good\\#374.txt', { op: 'send', name: bp('good\xfc.txt'), length: 1 }],
    ['send 4096 fotos\\#351/', { op: 'send', name: bp('fotos\xe9/'), length: 4096 }],
    ['del. 0 clash\\#374/sub/f', { op: 'del.', name: bp('clash\xfc/sub/f'), length: 0 }],
    ['send 1 \\#304\\#343\\#272\\#303', { op: 'send', name: bp('\xc4\xe3\xba\xc3'), length: 1 }],
    ['send 1 a\\#012b', { op: 'send', name: 'a\nb', length: 1 }],
  ];
  for (const [line, want] of rows) assert.deepEqual(parseItem(line), want, line);
});

test('failedPathOf: error lines with escaped bytes name the queued BytePath', () => {
  const root = bp('/srv/gbk\xc4\xe3');
  const rows: [string, string | undefined][] = [
    [
      'rsync: [sender] link_stat "/tmp/nw-exp/src/x\\#376y" failed: No such file or directory (2)',
      'x' + bp('\xfe') + 'y',
    ],
    ['cannot delete non-empty directory: clash\\#374', bp('clash\xfc')],
    ['could not make way for new regular file: clash\\#374', bp('clash\xfc')],
    [
      'rsync: [sender] link_stat "/srv/gbk\\#304\\#343/a\\#374" failed: No such file or directory (2)',
      bp('a\xfc'),
    ],
    ['file has vanished: "/srv/gbk\\#304\\#343/q\\"uo\\#351"', bp('q\\"uo\xe9')],
  ];
  for (const [line, want] of rows)
    assert.equal(
      failedPathOf(line, line.includes('/tmp/nw-exp') ? '/tmp/nw-exp/src' : root),
      want,
      line,
    );
});

test('lineSplitter: cut on bytes, lossless across chunks (raw bytes as -8 prints them too)', () => {
  const stream = Buffer.concat([
    Buffer.from('send 1 \xc3', 'latin1'),
    Buffer.from('\xa9.txt\nsend 1 raw\xfc\nsend 1 good\\#374', 'latin1'),
    Buffer.from('.txt\nlast', 'latin1'),
  ]);
  for (const cuts of [[7], [8, 20], [1, 2, 3, 30, 31], [stream.length]]) {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    let at = 0;
    for (const c of [...cuts, stream.length]) {
      s.push(stream.subarray(at, c));
      at = c;
    }
    s.end();
    assert.deepEqual(
      lines,
      ['send 1 é.txt', `send 1 raw${bp('\xfc')}`, 'send 1 good\\#374.txt', 'last'],
      cuts.join(),
    );
  }
});

test('outputTally: tallies and failed paths of a run over non-UTF-8 names', () => {
  const t = outputTally('/tmp/nw-exp/src');
  const s = lineSplitter((l) => t.stdout(l));
  s.push(
    Buffer.from('send 1 good\\#374.txt\nsend 4096 fotos\\#351/\nsend 1 fotos\\#351/in\\#304\n'),
  );
  s.end();
  const e = lineSplitter(t.stderr);
  e.push(
    Buffer.from(
      'rsync: [sender] link_stat "/tmp/nw-exp/src/x\\#376y" failed: No such file or directory (2)\n',
    ),
  );
  e.end();
  assert.deepEqual(
    { items: t.items, files: t.files, bytes: t.bytes },
    { items: 3, files: 2, bytes: 2 },
  );
  assert.deepEqual(
    t.failedPaths().map((p) => encodeName(p).toString('latin1')),
    ['x\xfey'],
  );
  assert.match(t.errorLine() ?? '', /link_stat "\/tmp\/nw-exp\/src\/x\\#376y" failed/);
});

test('quotePath: the log form of a path is one line, never lossy', () => {
  const rows: [string, string][] = [
    ['d/old', '"d/old"'],
    [bp('good\xfc.txt'), '"good\\xfc.txt"'],
    [bp('\xc4\xe3'), '"\\xc4\\xe3"'],
    ['new\nline', '"new\\nline"'],
    ['q"uo\\te', '"q\\"uo\\\\te"'],
    ['ünï文件', '"ünï文件"'],
  ];
  for (const [p, want] of rows) assert.equal(quotePath(p), want, p);
});
