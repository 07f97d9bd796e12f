// Plugins against real endpoints on 127.0.0.1: exact bytes on the wire (socket, http, refreshCDN),
// the argv a real command receives, and that a down or hanging endpoint never delays notify().
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPlugin, type CreatePluginOptions } from '../../src/plugins/registry.js';
import { toPluginEvent, type Plugin, type PluginEvent } from '../../src/plugins/plugin.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import type { CommandPluginConfig, PluginsConfig } from '../../src/config/types.js';
import { eventually } from '../helpers/eventually.js';
import { tmpDir } from '../helpers/tmp.js';
import { freePort } from '../helpers/rsyncd.js';
import { makeConfig, rule } from '../unit/plugins/fixture.js';

const ROOT = '/opt/tongbu';
const tmp = tmpDir('sersync-plugins-');
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  tmp.cleanup();
});

/** The four cases of the brief: a file, a directory, a delete, a name with spaces and unicode. */
const EVENTS: readonly PluginEvent[] = [
  toPluginEvent({ root: ROOT, path: 'f.txt', op: 'upsert', isDir: false }),
  toPluginEvent({ root: ROOT, path: 'dir', op: 'upsert', isDir: true }),
  toPluginEvent({ root: ROOT, path: 'f.txt', op: 'remove', isDir: false }),
  toPluginEvent({ root: ROOT, path: 'sub/sp ace 图片 ü.txt', op: 'upsert', isDir: false }),
];

/** A TCP listener that records every connection's bytes (in accept order) and optionally replies. */
async function tcpCapture(
  reply?: (received: Buffer) => string | undefined,
): Promise<{ port: number; conns: Buffer[]; done: boolean[] }> {
  const conns: Buffer[] = [];
  const done: boolean[] = [];
  const open = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    open.add(s);
    s.on('close', () => {
      open.delete(s);
    });
    const i = conns.push(Buffer.alloc(0)) - 1;
    done.push(false);
    s.on('data', (d: Buffer) => {
      const all = Buffer.concat([conns[i] ?? Buffer.alloc(0), d]);
      conns[i] = all;
      const r = reply?.(all);
      if (r !== undefined) s.end(r);
    });
    s.on('end', () => {
      done[i] = true;
      s.end();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.close(() => {
          r();
        });
        for (const s of open) s.destroy();
      }),
  );
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { port: addr.port, conns, done };
}

/** An HTTP server recording each request; `hang` never answers. */
async function httpCapture(
  hang = false,
): Promise<{ port: number; reqs: { method: string; url: string; type: string; body: string }[] }> {
  const reqs: { method: string; url: string; type: string; body: string }[] = [];
  const server: HttpServer = createHttpServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      reqs.push({
        method: req.method ?? '',
        url: req.url ?? '',
        type: req.headers['content-type'] ?? '',
        body,
      });
      if (!hang) res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => {
          r();
        });
      }),
  );
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { port: addr.port, reqs };
}

function start(plugins: PluginsConfig, name: keyof PluginsConfig, opts: CreatePluginOptions = {}) {
  const logger = memoryLogger();
  const plugin: Plugin = createPlugin(name, makeConfig(plugins, [ROOT]), logger, opts);
  closers.push(() => plugin.close());
  const settled = (n: number) => () => {
    const s = plugin.stats();
    return s.succeeded + s.failed + s.skipped >= n;
  };
  return { plugin, logger, settled };
}

test('socket: one connection per event carrying exactly the absolute path bytes', async () => {
  const cap = await tcpCapture();
  const { plugin, logger, settled } = start(
    { socket: { localpaths: [{ watch: ROOT, deshosts: [{ ip: '127.0.0.1', port: cap.port }] }] } },
    'socket',
  );
  for (const ev of EVENTS) plugin.notify(ev);
  plugin.notify(toPluginEvent({ root: '/elsewhere', path: 'x', op: 'upsert', isDir: false })); // outside the localpath
  await eventually(settled(5), { what: 'socket calls settled' });
  await eventually(() => cap.done.length === 4 && cap.done.every(Boolean), {
    what: 'all connections closed by the sender',
  });
  assert.deepEqual(
    cap.conns,
    EVENTS.map((e) => Buffer.from(e.absPath, 'utf8')),
  );
  assert.deepEqual(cap.conns.map(String), [
    '/opt/tongbu/f.txt',
    '/opt/tongbu/dir',
    '/opt/tongbu/f.txt',
    '/opt/tongbu/sub/sp ace 图片 ü.txt',
  ]);
  assert.equal(plugin.stats().skipped, 1);
  assert.deepEqual(
    logger.lines.filter((l) => !l.startsWith('[debug]')),
    [],
  );
});

test('socket: a down listener is retried 5 times, then a warning (never silent)', async () => {
  const port = await freePort();
  const { plugin, logger } = start(
    { socket: { localpaths: [{ watch: ROOT, deshosts: [{ ip: '127.0.0.1', port }] }] } },
    'socket',
  );
  plugin.notify(EVENTS[0]!);
  const line = await eventually(
    () => logger.lines.find((l) => l.startsWith('[warn] plugin socket:')),
    { what: 'warning' },
  );
  assert.equal(
    line,
    `[warn] plugin socket: could not deliver /opt/tongbu/f.txt after 5 tries to 127.0.0.1:${port}: ECONNREFUSED`,
  );
});

test('http: form POST per event with the documented fields, URL-encoded', async () => {
  const srv = await httpCapture();
  const url = `http://127.0.0.1:${srv.port}/hook?x=1`;
  const { plugin, logger, settled } = start(
    { http: { localpaths: [{ watch: ROOT, deshosts: [{ url }] }] } },
    'http',
  );
  for (const ev of EVENTS) plugin.notify(ev);
  await eventually(settled(4), { what: 'http calls settled' });
  assert.deepEqual(
    srv.reqs.map((r) => [r.method, r.url, r.type]),
    EVENTS.map(() => ['POST', '/hook?x=1', 'application/x-www-form-urlencoded']),
  );
  assert.deepEqual(
    srv.reqs.map((r) => r.body),
    [
      'watchroot=%2Fopt%2Ftongbu&isdir=0&inotifyPath=%2Fopt%2Ftongbu%2Ff.txt&mask=8',
      'watchroot=%2Fopt%2Ftongbu&isdir=1&inotifyPath=%2Fopt%2Ftongbu%2Fdir&mask=1073742080',
      'watchroot=%2Fopt%2Ftongbu&isdir=0&inotifyPath=%2Fopt%2Ftongbu%2Ff.txt&mask=512',
      'watchroot=%2Fopt%2Ftongbu&isdir=0&inotifyPath=%2Fopt%2Ftongbu%2Fsub%2Fsp%20ace%20%E5%9B%BE%E7%89%87%20%C3%BC.txt&mask=8',
    ],
  );
  assert.equal(new URLSearchParams(srv.reqs[3]!.body).get('inotifyPath'), EVENTS[3]!.absPath);
  assert.equal(plugin.stats().succeeded, 4);
  assert.deepEqual(
    logger.lines.filter((l) => !l.startsWith('[debug]')),
    [],
  );
});

test('refreshCDN: the original HEAD request bytes; whatsup logged at debug, password never logged', async () => {
  const cap = await tcpCapture((got) =>
    got.includes('\r\n\r\n') ? 'HTTP/1.0 200 OK\r\n\r\nwhatsup: succeed\n' : undefined,
  );
  const pw = 's3cr3t-pw';
  const { plugin, logger, settled } = start(
    {
      refreshCDN: {
        localpaths: [
          {
            watch: ROOT,
            cdninfo: { domainname: '127.0.0.1', port: cap.port, username: 'xxxx', passwd: pw },
            sendurlBase: 'http://pic.xoyo.com/cms',
            regexurl: { regex: false, match: 'x' },
          },
        ],
      },
    },
    'refreshCDN',
  );
  for (const ev of EVENTS) plugin.notify(ev);
  await eventually(settled(4), { what: 'cdn calls settled' });
  const head = (q: string): string =>
    `HEAD /index.jsp?user=xxxx&pswd=${pw}&ok=ok&${q} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`;
  assert.deepEqual(
    cap.conns.map((b) => b.toString('utf8')),
    [
      head('urls=http://pic.xoyo.com/cms/f.txt'),
      head('dirs=http://pic.xoyo.com/cms/dir/'),
      head('urls=http://pic.xoyo.com/cms/f.txt'),
      // The path part percent-encoded byte for byte (the original sent it raw: docs/compat.md).
      head('urls=http://pic.xoyo.com/cms/sub/sp%20ace%20%E5%9B%BE%E7%89%87%20%C3%BC.txt'),
    ],
  );
  assert.equal(plugin.stats().succeeded, 4);
  assert.ok(
    logger.lines.includes(
      '[debug] plugin refreshCDN: whatsup: succeed HEAD /index.jsp?user=xxxx&pswd=***&ok=ok&urls=http://pic.xoyo.com/cms/f.txt HTTP/1.0',
    ),
    logger.lines.join('\n'),
  );
  assert.ok(logger.lines.every((l) => !l.includes(pw)));
  assert.equal(existsSync(join(process.cwd(), 'errorlog.txt')), false);
});

// ---- command plugin ------------------------------------------------------------------------------

/** A script that appends its argv (NUL-separated, record ends with an extra NUL) to $1, exits $EXIT_WITH. */
function script(name: string, body: string): string {
  const p = join(tmp.path, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}
const recorder = script(
  'rec.sh',
  'out="$1"; shift; { printf \'%s\\0\' "$@"; printf \'\\0\'; } >> "$out"',
);
const failer = script('fail.sh', 'echo oops >&2; exit 3');
const readRecords = (file: string): string[][] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\0\0')
        .slice(0, -1)
        .map((r) => r.split('\0'))
    : [];

function commandCfg(
  prefix: readonly string[],
  over: Partial<CommandPluginConfig> = {},
): CommandPluginConfig {
  return {
    prefixRaw: prefix.join(' '),
    suffixRaw: "SUFFIX 'two words'",
    prefix,
    suffix: ['SUFFIX', 'two words'],
    ignoreError: false,
    timeoutMs: 30_000,
    filterEnabled: false,
    includes: [],
    ...over,
  };
}

test('command: the path reaches the command as one word between prefix and suffix; $(…) and backticks run nothing', async () => {
  const out = join(tmp.path, 'argv.rec');
  const evil = `${tmp.path}/x $(touch ${tmp.path}/pwned1) \`touch ${tmp.path}/pwned2\`; touch ${tmp.path}/pwned3 'q" \\.php`;
  const events = [
    ...EVENTS,
    toPluginEvent({
      root: tmp.path,
      path: evil.slice(tmp.path.length + 1),
      op: 'upsert',
      isDir: false,
    }),
  ];
  const { plugin, logger, settled } = start({ command: commandCfg([recorder, out]) }, 'command');
  for (const ev of events) plugin.notify(ev);
  await eventually(settled(events.length), { what: 'commands finished' });
  assert.deepEqual(
    readRecords(out),
    events.map((e) => [e.absPath, 'SUFFIX', 'two words']),
  );
  for (const f of ['pwned1', 'pwned2', 'pwned3'])
    assert.equal(existsSync(join(tmp.path, f)), false, f);
  assert.equal(plugin.stats().succeeded, events.length);
  assert.ok(
    logger.lines.includes(
      `[debug] plugin command: run ${JSON.stringify(`${recorder} ${out} "$1" SUFFIX 'two words'`)} for ${EVENTS[0]!.absPath}`,
    ),
  );
});

test('command: include filter (full match on the absolute path)', async () => {
  const out = join(tmp.path, 'filter.rec');
  const cfg = commandCfg([recorder, out], {
    filterEnabled: true,
    includes: [rule('(.*)\\.php'), rule('sub/.*')],
  });
  const { plugin, settled } = start({ command: cfg }, 'command');
  for (const p of ['a.php', 'b.txt', 'sub/x'])
    plugin.notify(toPluginEvent({ root: ROOT, path: p, op: 'upsert', isDir: false }));
  await eventually(settled(3), { what: 'filtered commands settled' });
  assert.deepEqual(
    readRecords(out).map((r) => r[0]),
    ['/opt/tongbu/a.php'],
  );
  assert.equal(plugin.stats().skipped, 2);
});

test('command: ignoreError=false logs a non-zero exit as an error, true at debug', async () => {
  for (const ignoreError of [false, true]) {
    const { plugin, logger, settled } = start(
      { command: commandCfg([failer], { ignoreError }) },
      'command',
    );
    plugin.notify(EVENTS[0]!);
    await eventually(settled(1), { what: 'failing command settled' });
    const level = ignoreError ? 'debug' : 'error';
    // ignoreError="true" is the original's `>/dev/null 2>&1`: the command's stderr is gone too.
    const stderr = ignoreError ? '' : '; stderr: "oops"';
    const want = `[${level}] plugin command: ${JSON.stringify(failer)} for /opt/tongbu/f.txt exited with 3${stderr}`;
    assert.ok(logger.lines.includes(want), `${want}\n--\n${logger.lines.join('\n')}`);
    assert.equal(logger.lines.filter((l) => l.startsWith('[error]')).length, ignoreError ? 0 : 1);
  }
});

test('command: a missing program is an error; a hanging one is killed with its children at the timeout', async () => {
  const missing = start({ command: commandCfg([join(tmp.path, 'nope')]) }, 'command');
  missing.plugin.notify(EVENTS[0]!);
  await eventually(missing.settled(1), { what: 'command not found' });
  assert.match(
    missing.logger.lines.find((l) => l.startsWith('[error]')) ?? '',
    /nope.* exited with 127; stderr: ".*nope: not found/,
  );

  const pidFile = join(tmp.path, 'hang.pid');
  const hang = script('hang.sh', `sleep 30 & echo $! > ${pidFile}; wait`);
  const h = start({ command: commandCfg([hang], { suffix: [], suffixRaw: '' }) }, 'command', {
    timeoutMs: 300,
  });
  h.plugin.notify(EVENTS[0]!);
  const pid = Number(
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), {
      what: 'grandchild pid',
    }),
  );
  await eventually(() => h.plugin.stats().timedOut === 1, { what: 'timeout' });
  assert.ok(
    h.logger.lines.includes(
      '[warn] plugin command: call timed out after 300 ms for upsert /opt/tongbu/f.txt',
    ),
  );
  await eventually(() => isDead(pid), { what: 'grandchild killed' });
});

/** Gone, or a zombie waiting for init to reap it (a container's PID 1 may take seconds). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ')'));
  } catch {
    return true;
  }
}

// ---- endpoints that hang -------------------------------------------------------------------------

test('a hanging http endpoint never delays notify(): the queue stays bounded, drops oldest, times out, moves on', async () => {
  const srv = await httpCapture(true);
  const { plugin, logger } = start(
    {
      http: { localpaths: [{ watch: ROOT, deshosts: [{ url: `http://127.0.0.1:${srv.port}/` }] }] },
    },
    'http',
    { capacity: 5, timeoutMs: 200, closeGraceMs: 100 },
  );
  // notify() is synchronous: the loop finishes before the hanging server sees any request.
  for (let i = 0; i < 2000; i++)
    plugin.notify(toPluginEvent({ root: ROOT, path: `f${i}`, op: 'upsert', isDir: false }));
  assert.equal(srv.reqs.length, 0);
  assert.equal(plugin.stats().queued, 5);
  assert.equal(plugin.stats().dropped, 1995);
  assert.ok(
    logger.lines.includes(
      '[warn] plugin http: queue full (capacity 5), dropped upsert /opt/tongbu/f0',
    ),
    logger.lines.join('\n'),
  );
  await eventually(() => srv.reqs.length >= 2, {
    what: 'second request after the first timed out',
  });
  assert.equal(
    srv.reqs[0]!.body.includes('f1995'),
    true,
    'the oldest kept event is delivered first',
  );
  assert.ok(
    logger.lines.some((l) => l.startsWith('[warn] plugin http: call timed out after 200 ms')),
  );
  // close() aborts the hanging call after its grace period (an unbounded close would hang the test).
  await plugin.close();
  assert.ok(
    logger.lines.some((l) => l.includes('plugin http')),
    logger.lines.join('\n'),
  );
});

test('a refreshCDN endpoint that accepts and never replies times out without blocking', async () => {
  const cap = await tcpCapture();
  const { plugin, logger } = start(
    {
      refreshCDN: {
        localpaths: [
          {
            watch: ROOT,
            cdninfo: {
              domainname: '127.0.0.1',
              port: cap.port,
              username: 'u',
              passwd: 'pw-hidden',
            },
            sendurlBase: 'http://cdn',
            regexurl: { regex: false, match: '' },
          },
        ],
      },
    },
    'refreshCDN',
    { timeoutMs: 150 },
  );
  plugin.notify(EVENTS[0]!);
  plugin.notify(EVENTS[1]!);
  await eventually(() => plugin.stats().timedOut === 2, { what: 'both calls timed out' });
  assert.equal(cap.conns.length, 2);
  assert.ok(logger.lines.every((l) => !l.includes('pw-hidden')));
});
