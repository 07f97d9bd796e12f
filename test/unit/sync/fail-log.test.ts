// Fail log: render <-> parse round-trip with hostile and non-UTF-8 names (printf octal escapes);
// the original's own entries stay verbatim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseFailLog,
  renderCommand,
  renderEntry,
  replayTargets,
  shellQuote,
  type FailLogEntry,
} from '../../../src/retry/fail-log.js';
import { renderFailLogFile } from '../../../src/retry/fail-log-file.js';
import { HOSTILE } from './hostile-names.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { raw, RAW_HOSTILE } from '../retry/raw-names.js';

const entry = (paths: readonly string[], status = 2560): FailLogEntry => ({
  status,
  cwd: '/opt/tong bu',
  argv: [
    'rsync',
    '-artuz',
    '-R',
    '-r',
    '--delete-missing-args',
    '--delete',
    '--',
    ...paths.map((p) => `./${p}`),
    '127.0.0.1::tongbu1',
  ],
});

test('layout: #errno status, the command, a blank line', () => {
  const text = renderEntry(entry(['a.txt']));
  assert.equal(
    text,
    "#errno 2560\ncd -- '/opt/tong bu' && rsync -artuz -R -r --delete-missing-args --delete -- ./a.txt 127.0.0.1::tongbu1\n\n",
  );
});

test('hostile names round-trip exactly, one entry per name and all in one', () => {
  for (const name of HOSTILE) {
    const e = entry([name]);
    const parsed = parseFailLog(renderEntry(e));
    assert.equal(parsed.length, 1, name);
    const [p] = parsed;
    assert.ok(p?.kind === 'ours', name);
    assert.deepEqual({ status: p.status, cwd: p.cwd, argv: p.argv }, e, name);
    assert.deepEqual(replayTargets(p.argv), { paths: [name], destination: '127.0.0.1::tongbu1' });
  }
  const all = parseFailLog(renderEntry(entry(HOSTILE, 5888)) + renderEntry(entry(['x'], -1)));
  assert.deepEqual(
    all.map((p) => (p.kind === 'ours' ? [p.status, p.argv.length] : p.kind)),
    [
      [5888, 9 + HOSTILE.length - 1],
      [-1, 9],
    ],
  );
});

test('table: how a name is written (raw bytes and control characters as printf octal escapes)', () => {
  const table: [string, string][] = [
    ['a.txt', 'a.txt'],
    ["it's", `'it'\\''s'`],
    [raw('good\xfc.txt'), `good"$(printf '\\374')".txt`],
    [raw('\xd6\xd0\xce\xc4.txt'), `"$(printf '\\326\\320\\316\\304')".txt`],
    [raw('a b\xfc'), `'a b'"$(printf '\\374')"`],
    [raw('nl\n\xfc'), `'nl\n'"$(printf '\\374')"`],
    ['cr\rx', `cr"$(printf '\\015')"x`],
    ['中文', "'中文'"],
    ['', "''"],
  ];
  for (const [name, want] of table) assert.equal(shellQuote(name), want, JSON.stringify(name));
  // The file stays plain UTF-8 text: no raw byte, no control character but tab and newline.
  const text = renderEntry(entry([...HOSTILE, ...RAW_HOSTILE]));
  assert.ok(encodeName(text).equals(Buffer.from(text, 'utf8')));
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f]/);
});

test('non-UTF-8 and control-character names round-trip to the same bytes', () => {
  for (const name of RAW_HOSTILE) {
    const e = entry([name]);
    const [p, ...rest] = parseFailLog(renderEntry(e));
    assert.equal(rest.length, 0);
    assert.ok(p?.kind === 'ours', JSON.stringify(name));
    assert.deepEqual(replayTargets(p.argv)?.paths.map(encodeName), [encodeName(name)]);
    assert.deepEqual({ status: p.status, cwd: p.cwd, argv: p.argv }, e);
  }
  const cwd = raw("/srv/\xd6\xd0 it's");
  const [p] = parseFailLog(renderEntry({ ...entry(['x']), cwd }));
  assert.ok(p?.kind === 'ours');
  assert.equal(p.cwd, cwd);
});

test('a printf part other than ours (a format, a newline, NUL, text) is foreign', () => {
  for (const word of [
    `"$(printf '%s' x)"`,
    `"$(printf '\\012')"`,
    `"$(printf '\\000')"`,
    `"$(printf '\\374' )"`,
    `"$(printf 'a')"`,
    `"$(printf '\\37')"`,
    `"$(touch PWNED)"`,
  ]) {
    const [p] = parseFailLog(`#errno 2560\ncd -- /r && rsync -- ./${word} h::m\n\n`);
    assert.equal(p?.kind, 'foreign', word);
  }
});

test('every quoted word is single-quoted, a printf of octal escapes, or inert outside quotes', () => {
  for (const name of [...HOSTILE, ...RAW_HOSTILE]) {
    const q = shellQuote(name);
    // `'\''` is the only thing allowed between quoted parts: an escaped single quote.
    // Left to right, as sh reads it: printf parts, single-quoted strings, escaped single quotes.
    const outside = q.replace(/"\$\(printf '(?:\\[0-7]{3})+'\)"|'[^']*'|\\'/g, '');
    assert.doesNotMatch(outside, /[$`\\"\s;&|<>()*?[#~]/, name);
  }
  assert.equal(shellQuote(''), "''");
  assert.equal(renderCommand({ cwd: '/r', argv: ['A=B', 'x'] }), "cd -- /r && 'A=B' x");
  assert.equal(
    renderCommand({ cwd: '/r', argv: [raw('A=\xfc'), 'x'] }),
    `cd -- /r && 'A='"$(printf '\\374')" x`,
  );
});

test('property: any bytes as names and cwd round-trip', () => {
  const name = fc
    .uint8Array({ minLength: 1, maxLength: 12 })
    .map((b) => decodeName(Buffer.from(b.map((x) => (x === 0 ? 0x5f : x)))));
  fc.assert(
    fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), name, (names, cwd) => {
      const e: FailLogEntry = {
        status: 2560,
        cwd,
        argv: ['rsync', '--', ...names.map((n) => `./${n}`), 'h::m'],
      };
      const [p] = parseFailLog(renderEntry(e));
      assert.ok(p?.kind === 'ours');
      assert.deepEqual({ status: p.status, cwd: p.cwd, argv: p.argv }, e);
    }),
  );
});

test('property: any names round-trip', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: 'binary', minLength: 1 }), { minLength: 1, maxLength: 5 }),
      fc.string({ minLength: 1 }),
      (names, cwd) => {
        const clean = names.map((n) => n.replace(/\0/g, '_'));
        const e: FailLogEntry = {
          status: 3072,
          cwd: cwd.replace(/\0/g, '_'),
          argv: ['rsync', '--', ...clean.map((n) => `./${n}`), 'h::m'],
        };
        const [p] = parseFailLog(renderEntry(e));
        assert.ok(p?.kind === 'ours');
        assert.deepEqual({ status: p.status, cwd: p.cwd, argv: p.argv }, e);
      },
    ),
  );
});

test("the original's entries (double quotes, redirections, broken quoting) are kept as foreign text", () => {
  const original = [
    '#errno 2560',
    'cd /opt/tongbu && rsync -artuz -R "./A.txt" 127.0.0.1::tongbu1 >/dev/null 2>&1 ',
    '',
    '#errno 512',
    'cd /opt/tongbu && rsync -artuz -R "./dq"x.txt" 127.0.0.1::tongbu1',
    '',
    '#errno 1280',
    'cd /opt/tongbu && rsync -artuz -R "./M.txt" sersyncuser@127.0.0.1::nomod --password-file=/etc/rsync.pas',
    '',
    'cd /opt/tongbu && rsync -artuz -R "./no-header.txt" 127.0.0.1::tongbu1',
    '',
  ].join('\n');
  const parsed = parseFailLog(original);
  assert.deepEqual(
    parsed.map((p) => [p.kind, p.status]),
    [
      ['foreign', 2560],
      ['foreign', 512],
      ['foreign', 1280],
      ['foreign', undefined],
    ],
  );
  assert.equal(
    parsed[1]?.text,
    'cd /opt/tongbu && rsync -artuz -R "./dq"x.txt" 127.0.0.1::tongbu1',
  );
});

test('file rendering: grouped by status, sorted, chunked, inherited text first, empty set = empty file', () => {
  const target = { key: 'k', root: '/r', remoteIndex: 0 };
  const commandFor = (_t: typeof target, paths: readonly string[]) => ({
    cwd: '/r',
    argv: ['rsync', '--', ...paths.map((p) => `./${p}`), 'h::m'],
  });
  assert.equal(renderFailLogFile([], commandFor), '');
  const text = renderFailLogFile(
    [
      {
        target,
        paths: new Map([
          ['c', 2560],
          ['a', 2560],
          ['b', 1280],
        ]),
      },
    ],
    commandFor,
    [
      { status: 1, text: 'old command' },
      { status: undefined, text: 'cd /x && rsync "./y" h::m' },
    ],
    1,
  );
  assert.ok(text.startsWith('#errno 1\nold command\n\ncd /x'));
  assert.deepEqual(
    parseFailLog(text).map((p) =>
      p.kind === 'ours' ? `${p.status}:${p.argv.join(' ')}` : `foreign:${p.text}`,
    ),
    [
      'foreign:old command',
      'foreign:cd /x && rsync "./y" h::m',
      '1280:rsync -- ./b h::m',
      '2560:rsync -- ./a h::m',
      '2560:rsync -- ./c h::m',
    ],
  );
});
