// Names are bytes at the plugins' edges, with real processes and sockets: the command plugin's
// "$1" holds a Latin-1 / GBK name byte for byte through a real /bin/sh (dash), bash too, in a
// watch root whose own name has raw bytes, and a hostile name mixed with raw bytes runs nothing;
// the socket plugin's receiver gets the raw bytes; http and refreshCDN carry them percent-encoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { commandArgv, runCommand } from '../../src/plugins/command.js';
import { toPluginEvent } from '../../src/plugins/plugin.js';
import { runSocket } from '../../src/plugins/socket.js';
import { httpTargets, runHttp } from '../../src/plugins/http.js';
import { cdnTargets, runRefreshCdn } from '../../src/plugins/refresh-cdn.js';
import type { CommandPluginConfig } from '../../src/config/types.js';
import { decodeName, encodeName, type BytePath } from '../../src/util/byte-names.js';
import { systemClock } from '../../src/util/clock.js';
import { tmpDir } from '../helpers/tmp.js';

const raw = (...parts: (string | number[])[]): BytePath =>
  decodeName(
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))),
  );

/** Names with raw bytes: Latin-1, GBK (中文), and raw bytes mixed with what a shell would run. */
const NAMES: readonly BytePath[] = [
  raw('good', [0xfc], '.txt'),
  raw([0xd6, 0xd0, 0xce, 0xc4], '.txt'),
  raw('x$(touch PWNED1)', [0xfc], 'y'),
  raw('b`touch PWNED2`', [0xe9]),
  raw("q'uote", [0xe9], '"dq; touch PWNED3'),
  raw('nl\n', [0xfc], '\n\n'), // trailing newlines: command substitution must not eat them
  raw('-', [0xfc], '%s%b%n\\n\\0101 $HOME'),
  raw([0xff, 0xfe, 0x80], ' ', [0xc3]), // bytes no UTF-8 decoder accepts, a truncated sequence
];

const cmd = (prefixRaw: string, suffixRaw: string): CommandPluginConfig => ({
  prefixRaw,
  suffixRaw,
  prefix: prefixRaw.split(' '),
  suffix: suffixRaw.split(' '),
  ignoreError: false,
  timeoutMs: 10_000,
  filterEnabled: false,
  includes: [],
});

/** Every name under `dir` (Buffers: node's recursive readdir cannot list raw-byte names). */
function allNames(dir: Buffer): Buffer[] {
  return readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }).flatMap((e) => {
    const full = Buffer.concat([dir, Buffer.from('/'), e.name]);
    return e.isDirectory() ? [e.name, ...allNames(full)] : [e.name];
  });
}

function assertNothingRan(dir: string): void {
  const found = allNames(Buffer.from(dir))
    .map((b) => b.toString('latin1'))
    .filter((p) => p.startsWith('PWNED'));
  assert.deepEqual(found, [], 'a file name was run as shell');
}

test('command plugin: "$1" is the raw name and the cwd the raw-byte root, through a real /bin/sh', async (t) => {
  const tmp = tmpDir('sersync-plugbytes-');
  t.after(tmp.cleanup);
  const root = join(tmp.path, raw('fotos', [0xe9]));
  mkdirSync(encodeName(root));
  const out = join(tmp.path, 'arg.bin');
  const pwd = join(tmp.path, 'pwd.bin');
  const cfg = cmd(`pwd -P > '${pwd}'; printf %s`, `> '${out}'`);
  const never = new AbortController().signal;
  for (const name of NAMES) {
    const abs = `${root}/${name}`;
    const ev = toPluginEvent({ root, path: name, op: 'upsert', isDir: false });
    const lines: string[] = [];
    const r = await runCommand(cfg, ev, never, (m) => lines.push(m));
    assert.deepEqual(r, { ok: true, value: 'done' }, JSON.stringify(name));
    assert.deepEqual(readFileSync(out), encodeName(abs), `"$1" of ${JSON.stringify(name)}`);
    assert.deepEqual(readFileSync(pwd), encodeName(`${root}\n`), 'the cwd is the watch root');
    rmSync(out);
  }
  assertNothingRan(tmp.path);
});

test('command plugin: the same argv gives the same bytes under dash and bash', (t) => {
  const tmp = tmpDir('sersync-plugbytes-sh-');
  t.after(tmp.cleanup);
  const out = join(tmp.path, 'arg.bin');
  for (const shell of ['/usr/bin/dash', '/usr/bin/bash']) {
    for (const name of NAMES) {
      const abs = `/w/${name}`;
      const argv = commandArgv(cmd('printf %s', `> '${out}'`), abs) ?? [];
      const [, ...args] = argv;
      const r = spawnSync(shell, args, { cwd: tmp.path });
      assert.equal(r.status, 0, `${shell}: ${r.stderr.toString()}`);
      assert.deepEqual(readFileSync(out), encodeName(abs), `${shell}: ${JSON.stringify(name)}`);
    }
  }
  assertNothingRan(tmp.path);
});

test('socket plugin: the receiver gets exactly the raw bytes of the absolute path', async (t) => {
  const got: Buffer[] = [];
  const server = createServer((c) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => got.push(Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const root = raw('/srv/', [0xd6, 0xd0]);
  const never = new AbortController().signal;
  for (const name of NAMES) {
    const ev = toPluginEvent({ root, path: name, op: 'upsert', isDir: false });
    const r = await runSocket([{ ip: '127.0.0.1', port }], ev, never, systemClock, 1, 0);
    assert.deepEqual(r, { ok: true, value: 'done' });
  }
  const want = NAMES.map((n) => encodeName(`${root}/${n}`));
  const deadline = Date.now() + 5_000;
  while (got.length < want.length && Date.now() < deadline)
    await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    got.map((b) => b.toString('hex')).sort(),
    want.map((b) => b.toString('hex')).sort(),
  );
});

test('http and refreshCDN: the request carries the raw bytes percent-encoded', async (t) => {
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''} ${body}`);
      res.end(req.method === 'HEAD' ? undefined : 'whatsup: succeed\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const root = raw('/srv/', [0xe9]);
  const ev = toPluginEvent({
    root,
    path: raw('good', [0xfc], ' 中.txt'),
    op: 'upsert',
    isDir: false,
  });
  const never = new AbortController().signal;
  const http = { localpaths: [{ watch: root, deshosts: [{ url: `http://127.0.0.1:${port}/x` }] }] };
  assert.deepEqual(await runHttp(httpTargets(http, ev), ev, never), { ok: true, value: 'done' });
  const cdn = {
    localpaths: [
      {
        watch: root,
        cdninfo: { domainname: '127.0.0.1', port, username: 'u', passwd: 'p' },
        sendurlBase: 'http://pic.example/cms',
        regexurl: { regex: false, match: '' },
      },
    ],
  };
  const r = await runRefreshCdn(cdnTargets(cdn, ev), ev, never, () => undefined);
  assert.deepEqual(r, { ok: true, value: 'done' });
  assert.deepEqual(seen, [
    'POST /x watchroot=%2Fsrv%2F%E9&isdir=0&inotifyPath=%2Fsrv%2F%E9%2Fgood%FC%20%E4%B8%AD.txt&mask=8',
    'HEAD /index.jsp?user=u&pswd=p&ok=ok&urls=http://pic.example/cms/good%FC%20%E4%B8%AD.txt ',
  ]);
});
