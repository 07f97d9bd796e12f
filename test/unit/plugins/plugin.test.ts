// Pure plugin helpers: events, masks, path scoping, argv, http body, destinations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IN_MASK, isWithin, maskFor, toPluginEvent } from '../../../src/plugins/plugin.js';
import {
  DECODE_ARG,
  commandArgv,
  commandScript,
  octalEscape,
} from '../../../src/plugins/command.js';
import { httpBody, httpTargets, showUrl } from '../../../src/plugins/http.js';
import { socketDestinations } from '../../../src/plugins/socket.js';
import type { CommandPluginConfig } from '../../../src/config/types.js';
import { rule } from './fixture.js';

test('maskFor: close_write / create|isdir / delete(|isdir)', () => {
  assert.equal(maskFor('upsert', false), 8);
  assert.equal(maskFor('upsert', true), 256 | IN_MASK.ISDIR);
  assert.equal(maskFor('remove', false), 512);
  assert.equal(maskFor('remove', true), 512 | 0x40000000);
});

test('toPluginEvent joins root and path (root "/" too) and keeps an explicit mask', () => {
  assert.equal(
    toPluginEvent({ root: '/opt/tongbu', path: 'a/b', op: 'upsert', isDir: false }).absPath,
    '/opt/tongbu/a/b',
  );
  assert.equal(
    toPluginEvent({ root: '/', path: 'etc/x', op: 'upsert', isDir: false }).absPath,
    '/etc/x',
  );
  assert.equal(
    toPluginEvent({ root: '/r', path: 'm', op: 'upsert', isDir: false }, IN_MASK.MOVED_TO).mask,
    128,
  );
});

test('isWithin is path-component aware', () => {
  assert.equal(isWithin('/a', '/a/b'), true);
  assert.equal(isWithin('/a/', '/a/b'), true);
  assert.equal(isWithin('/a', '/a'), true);
  assert.equal(isWithin('/a', '/ab'), false);
  assert.equal(isWithin('/', '/x'), true);
});

const cmd = (over: Partial<CommandPluginConfig> = {}): CommandPluginConfig => ({
  prefixRaw: '/opt/bin/plug.sh -v',
  suffixRaw: 'SUFFIX',
  prefix: ['/opt/bin/plug.sh', '-v'],
  suffix: ['SUFFIX'],
  ignoreError: false,
  timeoutMs: 30_000,
  filterEnabled: false,
  includes: [],
  ...over,
});

test('commandArgv: /bin/sh -c \'<prefix> "$1" <suffix>\' with the path as $1, never in the script', () => {
  assert.deepEqual(commandArgv(cmd(), '/opt/tongbu/sp ace $(id).php'), [
    '/bin/sh',
    '-c',
    '/opt/bin/plug.sh -v "$1" SUFFIX',
    'sersync',
    '/opt/tongbu/sp ace $(id).php',
  ]);
  assert.equal(commandArgv(cmd({ prefix: [], prefixRaw: '' }), '/x'), undefined);
});

test('commandArgv: a name with raw bytes goes as octal escapes behind the fixed decode lines', () => {
  // /w/good\xfc.txt: the raw byte 0xfc is the lone surrogate U+DCFC.
  const argv = commandArgv(cmd(), '/w/g\udcfc');
  assert.deepEqual(argv, [
    '/bin/sh',
    '-c',
    `${DECODE_ARG}/opt/bin/plug.sh -v "$1" SUFFIX`,
    'sersync',
    '\\057\\167\\057\\147\\374',
  ]);
  assert.equal(DECODE_ARG, 'set -- "$(printf "$1"x)"\nset -- "${1%x}"\n');
  // Only backslashes and digits: nothing a shell or printf could read as anything but bytes.
  assert.match(octalEscape('\udcd6\udcd0 $(id)%s\n\\'), /^(\\[0-7]{3})+$/);
});

test("commandScript: the administrator's shell is kept; ignoreError appends >/dev/null 2>&1", () => {
  const table: [Partial<CommandPluginConfig>, string][] = [
    [{}, '/opt/bin/plug.sh -v "$1" SUFFIX'],
    [{ suffixRaw: '', suffix: [] }, '/opt/bin/plug.sh -v "$1"'],
    [{ suffixRaw: '>> /var/log/changed.log' }, '/opt/bin/plug.sh -v "$1" >> /var/log/changed.log'],
    [{ suffixRaw: '| logger -t sync' }, '/opt/bin/plug.sh -v "$1" | logger -t sync'],
    [{ ignoreError: true }, '/opt/bin/plug.sh -v "$1" SUFFIX >/dev/null 2>&1'],
    [{ prefixRaw: '/bin/sh', prefix: ['/bin/sh'], suffixRaw: '' }, '/bin/sh "$1"'],
  ];
  for (const [over, script] of table) assert.equal(commandScript(cmd(over)), script);
});

test('commandArgv include filter is a full match on the absolute path (captured cases)', () => {
  const c = cmd({ filterEnabled: true, includes: [rule('(.*)\\.php'), rule('sub/.*')] });
  assert.ok(commandArgv(c, '/opt/tongbu/a.php'));
  assert.equal(
    commandArgv(c, '/opt/tongbu/sub/x'),
    undefined,
    'sub/.* does not fully match an absolute path',
  );
  assert.equal(commandArgv(c, '/opt/tongbu/a.php.txt'), undefined);
  assert.ok(
    commandArgv({ ...c, filterEnabled: false }, '/opt/tongbu/a.txt'),
    'filter off: every path',
  );
});

test('httpBody: the documented fields, values URL-encoded', () => {
  const ev = toPluginEvent({ root: '/w', path: 'a b&c+d%/é', op: 'upsert', isDir: true });
  assert.equal(
    httpBody('/w', ev),
    'watchroot=%2Fw&isdir=1&inotifyPath=%2Fw%2Fa%20b%26c%2Bd%25%2F%C3%A9&mask=1073742080',
  );
  assert.equal(new URLSearchParams(httpBody('/w', ev)).get('inotifyPath'), '/w/a b&c+d%/é');
  // Raw bytes (Latin-1 0xfc, GBK d6d0) are percent-encoded as they are, in the root too.
  const raw = toPluginEvent({
    root: '/w\udce9',
    path: 'good\udcfc\udcd6\udcd0',
    op: 'upsert',
    isDir: false,
  });
  assert.equal(
    httpBody('/w\udce9', raw),
    'watchroot=%2Fw%E9&isdir=0&inotifyPath=%2Fw%E9%2Fgood%FC%D6%D0&mask=8',
  );
});

test('httpTargets/socketDestinations: only localpaths containing the path, every deshost', () => {
  const ev = toPluginEvent({ root: '/a', path: 'f', op: 'remove', isDir: false });
  const http = {
    localpaths: [
      { watch: '/a', deshosts: [{ url: 'http://127.0.0.1:1/x' }, { url: 'http://127.0.0.1:2/y' }] },
      { watch: '/b', deshosts: [{ url: 'http://127.0.0.1:3/z' }] },
    ],
  };
  assert.deepEqual(
    httpTargets(http, ev).map((t) => t.url),
    ['http://127.0.0.1:1/x', 'http://127.0.0.1:2/y'],
  );
  assert.deepEqual(
    httpTargets(http, ev, '/').map((t) => t.body.split('&')[0]),
    ['watchroot=%2F', 'watchroot=%2F', 'watchroot=%2F'],
  );
  const sock = {
    localpaths: [
      { watch: '/a/', deshosts: [{ ip: '127.0.0.1', port: 9 }] },
      { watch: '/ab', deshosts: [{ ip: '127.0.0.1', port: 8 }] },
    ],
  };
  assert.deepEqual(socketDestinations(sock, '/a/f'), [{ ip: '127.0.0.1', port: 9 }]);
  assert.deepEqual(socketDestinations(sock, '/c/f'), []);
});

test('showUrl removes credentials from URLs in log lines', () => {
  assert.equal(showUrl('http://u:secret@127.0.0.1:8080/hook'), 'http://127.0.0.1:8080/hook');
});
