// The XML layer: element and attribute positions (LF, CRLF), things that are not elements
// (comments, CDATA, PIs), entity decoding, and syntax errors with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, type XmlElement } from '../../../src/config/xml.js';
import { decodeConfig } from '../../../src/config/load.js';

function root(text: string): XmlElement {
  const r = parseXml(text);
  if (!r.ok) assert.fail(JSON.stringify(r.error));
  return r.value;
}

const SAMPLE = [
  '<?xml version="1.0" encoding="ISO-8859-1"?>',
  '<!-- <remote ip="commented"/> -->',
  '<head version="2.5">',
  '  <?pi ignored <x/> ?>',
  '  <a  x=\'1>2\'\ty="&amp;&lt;&#65;"/>',
  '  <b><![CDATA[ <notanelement/> ]]>',
  '    <c z="3"></c>',
  '  </b>',
  '</head>',
];

for (const [eol, label] of [
  ['\n', 'LF'],
  ['\r\n', 'CRLF'],
] as const) {
  test(`element and attribute line:col (${label})`, () => {
    const head = root(SAMPLE.join(eol));
    assert.deepEqual([head.name, head.line, head.col], ['head', 3, 1]);
    assert.deepEqual(head.attrs, [{ name: 'version', value: '2.5', line: 3, col: 7 }]);
    const [a, b] = head.children;
    assert.equal(head.children.length, 2);
    assert.deepEqual([a?.name, a?.line, a?.col], ['a', 5, 3]);
    assert.deepEqual(a?.attrs, [
      { name: 'x', value: '1>2', line: 5, col: 7 },
      // Only the five named entities are decoded, as in sersync's xmlParser; &#65; stays literal.
      { name: 'y', value: '&<&#65;', line: 5, col: 15 },
    ]);
    assert.deepEqual([b?.name, b?.line, b?.text], ['b', 6, '<notanelement/>']);
    const c = b?.children[0];
    assert.deepEqual([c?.name, c?.line, c?.col, c?.attrs[0]?.col], ['c', 7, 5, 8]);
  });
}

test('names keep their case; repeated attributes differing in case are both kept', () => {
  const head = root('<HEAD><Debug start="true" START="false"/></HEAD>');
  assert.equal(head.name, 'HEAD');
  assert.deepEqual(
    head.children[0]?.attrs.map((a) => [a.name, a.value]),
    [
      ['start', 'true'],
      ['START', 'false'],
    ],
  );
});

const BROKEN: readonly (readonly [string, string, number])[] = [
  ['unclosed tag', '<head>\n  <a>\n</head>', 3],
  ['unquoted attribute', '<head>\n<a b=1/></head>', 2],
  ['repeated attribute', '<head a="1" a="2"/>', 1],
  ['garbage', 'garbage', 1],
  ['empty', '', 1],
  ['second root', '<head/>\n<x/>', 2],
];

for (const [what, text, line] of BROKEN) {
  test(`syntax error: ${what} (line ${line})`, () => {
    const r = parseXml(text);
    if (r.ok) assert.fail(`expected a syntax error, got <${r.value.name}>`);
    assert.equal(r.error.line, line);
    assert.ok(r.error.col >= 1);
    assert.ok(r.error.message.length > 0);
  });
}

test('decode: UTF-8 BOM stripped, UTF-8 kept, every other byte kept as that raw byte', () => {
  const enc = new TextEncoder();
  assert.equal(
    decodeConfig(Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode('<head/>')])),
    '<head/>',
  );
  assert.equal(decodeConfig(enc.encode('/opt/同步/données')), '/opt/同步/données');
  assert.equal(
    decodeConfig(Uint8Array.from([0x2f, 0x64, 0x6f, 0x6e, 0x6e, 0xe9, 0x65, 0x73])),
    '/donn\udce9es',
  );
  // A UTF-8 file with one stray Latin-1 byte: the UTF-8 stays text, the byte stays a byte
  // (0x80, which windows-1252 would have made €, too).
  assert.equal(
    decodeConfig(Uint8Array.from([...enc.encode('/同'), 0xe9, 0x80, ...enc.encode('é')])),
    '/同\udce9\udc80é',
  );
  assert.equal(decodeConfig('\uFEFF<head/>'), '<head/>');
});

test('line:col stay right after raw bytes: each raw byte is one column (a GBK file)', () => {
  // <head><a p="中文" q="1"/></head> saved as GBK (中文 = d6 d0 ce c4), then an XML error.
  const gbk = [0xd6, 0xd0, 0xce, 0xc4];
  const enc = new TextEncoder();
  const good = Uint8Array.from([
    ...enc.encode('<head>\n<a p="'),
    ...gbk,
    ...enc.encode('" q="1"/></head>'),
  ]);
  const r = parseXml(decodeConfig(good));
  assert.ok(r.ok);
  const a = r.value.children[0];
  assert.deepEqual(
    a?.attrs.map((x) => [x.name, x.value, x.line, x.col]),
    [
      ['p', '\udcd6\udcd0\udcce\udcc4', 2, 4],
      ['q', '1', 2, 13],
    ],
  );
  const bad = Uint8Array.from([...enc.encode('<head>\n<a p="'), ...gbk, ...enc.encode('" q=1/>')]);
  const e = parseXml(decodeConfig(bad));
  assert.ok(!e.ok);
  assert.equal(e.error.line, 2);
});
