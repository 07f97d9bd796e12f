// End to end, as a user runs it: plugins in sersync mode (`<sersync><plugin start="true">`, after
// each synced change, against a real loopback rsync daemon) and alone (`-m NAME`, no rsync at all).
// Receivers are real: a TCP listener on 127.0.0.1 (socket, refreshCDN) and a recording script
// (command). A plugin endpoint that is down or hangs must never hold the target back.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import {
  converged,
  pluginConfXml,
  processAlive,
  startSynced,
  startTcpRecorder,
  writeRecordingCommand,
  writeRecordingRsync,
  type PluginConfOptions,
  type RecordingCommand,
  type TcpRecorder,
} from '../helpers/plugin-conf.js';
import { freePort } from '../helpers/rsyncd.js';
import { startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const WAIT = { timeoutMs: 15_000 };

/** How many times each value occurs. */
function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** A check for `eventually`: `values` holds each expected value at least that many times. */
function holds(
  values: () => readonly string[],
  expected: ReadonlyMap<string, number>,
): () => boolean {
  return () => {
    const got = counts(values());
    for (const [v, n] of expected) {
      if ((got.get(v) ?? 0) < n)
        throw new Error(
          `${JSON.stringify(v)} seen ${got.get(v) ?? 0} time(s), want ${n}; got ${JSON.stringify([...got.keys()])}`,
        );
    }
    return true;
  };
}

/**
 * Applies `steps` one at a time; after each, waits until the target equals the source (when
 * `dst` is given) and `values()` holds every path expected so far. Returns the expected counts.
 */
async function stepThrough(
  steps: readonly { what: string; act: () => void; expect: readonly string[] }[],
  values: () => readonly string[],
  sync?: { src: string; dst: string },
): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  for (const s of steps) {
    s.act();
    for (const p of s.expect) expected.set(p, (expected.get(p) ?? 0) + 1);
    if (sync)
      await eventually(converged(sync.src, sync.dst), {
        ...WAIT,
        what: `${s.what}: target == source`,
      });
    await eventually(holds(values, expected), {
      ...WAIT,
      what: `${s.what}: the plugin receives ${JSON.stringify(s.expect)}`,
    });
  }
  return expected;
}

/** The usual changes under `root`: file, directory, file inside it, odd name, delete, rename. */
function changes(root: string): { what: string; act: () => void; expect: string[] }[] {
  const odd = 'sp ace 图片 ü $(touch PWNED).txt';
  return [
    {
      what: 'create a file',
      act: () => {
        writeFileSync(join(root, 'a.txt'), 'a');
      },
      expect: [join(root, 'a.txt')],
    },
    {
      what: 'mkdir',
      act: () => {
        mkdirSync(join(root, 'dir'));
      },
      expect: [join(root, 'dir')],
    },
    {
      what: 'write in the new dir',
      act: () => {
        writeFileSync(join(root, 'dir', 'in.txt'), 'in');
      },
      expect: [join(root, 'dir', 'in.txt')],
    },
    {
      what: 'an odd name',
      act: () => {
        writeFileSync(join(root, odd), 'odd');
      },
      expect: [join(root, odd)],
    },
    {
      what: 'delete a file',
      act: () => {
        rmSync(join(root, 'a.txt'));
      },
      expect: [join(root, 'a.txt')],
    },
    {
      what: 'rename a file',
      act: () => {
        renameSync(join(root, 'dir', 'in.txt'), join(root, 'dir', 'moved.txt'));
      },
      expect: [join(root, 'dir', 'in.txt'), join(root, 'dir', 'moved.txt')],
    },
  ];
}

/** Fails if any `PWNED*` file exists under `dir` (a file name ran as shell code). */
function assertNoInjection(dir: string): void {
  const hits = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) =>
    /(^|\/)PWNED[^/]*$/.test(p),
  );
  assert.deepEqual(hits, [], 'a file name was run as a shell command');
}

async function recorder(
  t: TestContext,
  reply?: (soFar: string) => string | undefined,
): Promise<TcpRecorder> {
  const r = await startTcpRecorder(reply);
  t.after(() => r.close());
  return r;
}

// ---------------------------------------------------------------- sersync mode (after each sync)

test('sersync mode, socket plugin: each synced change reaches the listener as its absolute path', async (t) => {
  const rec = await recorder(t);
  const { src, dst } = await startSynced(t, (_dir, root) => ({
    sersyncPlugin: { start: true, name: 'socket' },
    plugins: { socket: [{ watch: root, deshosts: [{ ip: '127.0.0.1', port: rec.port }] }] },
  }));
  const expected = await stepThrough(changes(src), rec.received, { src, dst });
  // Nothing else arrives: every connection carried exactly one of the expected absolute paths.
  assert.deepEqual([...new Set(rec.received())].sort(), [...expected.keys()].sort());
});

test('sersync mode, command plugin: the command gets prefix words, the absolute path as one argument, suffix', async (t) => {
  let made: RecordingCommand | undefined;
  const { dir, src, dst } = await startSynced(t, (d) => {
    made = writeRecordingCommand(d, 'on-change');
    return {
      sersyncPlugin: { start: true, name: 'command' },
      plugins: {
        command: { prefix: `${made.path} --site 'www one'`, suffix: '--quiet', ignoreError: false },
      },
    };
  });
  const cmd = made;
  assert.ok(cmd);
  const paths = (): string[] => cmd.calls().map((argv) => argv[2] ?? '');
  const expected = await stepThrough(changes(src), paths, { src, dst });
  for (const argv of cmd.calls()) {
    assert.equal(argv.length, 4, `argv ${JSON.stringify(argv)}`);
    assert.deepEqual([argv[0], argv[1], argv[3]], ['--site', 'www one', '--quiet']);
  }
  assert.deepEqual([...new Set(paths())].sort(), [...expected.keys()].sort());
  assertNoInjection(dir);
});

test('sersync mode: a socket plugin whose listener is down never holds the target back', async (t) => {
  const downPort = await freePort(); // nothing listens there
  const { src, dst, service } = await startSynced(t, (_dir, root) => ({
    sersyncPlugin: { start: true, name: 'socket' },
    plugins: { socket: [{ watch: root, deshosts: [{ ip: '127.0.0.1', port: downPort }] }] },
  }));
  for (let i = 0; i < 8; i++) writeFileSync(join(src, `f${i}.txt`), `${i}`);
  mkdirSync(join(src, 'd', 'e'), { recursive: true });
  writeFileSync(join(src, 'd', 'e', 'deep.txt'), 'deep');
  await eventually(converged(src, dst), {
    ...WAIT,
    what: 'target == source with the listener down',
  });
  for (let i = 0; i < 8; i += 2) rmSync(join(src, `f${i}.txt`));
  renameSync(join(src, 'd'), join(src, 'd2'));
  await eventually(converged(src, dst), {
    ...WAIT,
    what: 'deletes and a rename with the listener down',
  });
  // The failures are reported, not swallowed.
  await eventually(() => /plugin socket: could not deliver/.test(service.output()), {
    ...WAIT,
    what: 'a delivery warning',
  });
});

test('sersync mode: a command plugin that hangs never holds the target back, and is killed at stop', async (t) => {
  let made: RecordingCommand | undefined;
  const { src, dst, service } = await startSynced(t, (d) => {
    made = writeRecordingCommand(d, 'hang', { hang: true });
    return {
      sersyncPlugin: { start: true, name: 'command' },
      plugins: { command: { prefix: made.path } },
    };
  });
  const cmd = made;
  assert.ok(cmd);
  writeFileSync(join(src, 'first.txt'), 'first');
  await eventually(converged(src, dst), { ...WAIT, what: 'the first file' });
  await eventually(() => cmd.calls().length === 1, {
    ...WAIT,
    what: 'the plugin to start (and hang on) its first call',
  });

  // Every later change converges while that call still hangs (its timeout is 30 s).
  for (let i = 0; i < 10; i++) writeFileSync(join(src, `f${i}.txt`), `${i}`);
  mkdirSync(join(src, 'd'));
  writeFileSync(join(src, 'd', 'x.txt'), 'x');
  await eventually(converged(src, dst), { ...WAIT, what: 'new files while the plugin hangs' });
  rmSync(join(src, 'first.txt'));
  renameSync(join(src, 'd'), join(src, 'd2'));
  await eventually(converged(src, dst), {
    ...WAIT,
    what: 'a delete and a rename while the plugin hangs',
  });
  assert.equal(cmd.calls().length, 1, 'the plugin was stuck on its first call the whole time');
  const [pid] = cmd.pids();
  assert.ok(pid !== undefined && processAlive(pid), 'the hung command is still running');

  assert.equal(await service.stop(), 0);
  assert.equal(processAlive(pid), false, 'the hung command was killed when the service stopped');
});

// ---------------------------------------------------------------- -m NAME (plugin alone, no rsync)

/** Runs `-m NAME` with a stand-in rsync that records any call; the remote's port has no listener. */
async function startPluginOnly(
  t: TestContext,
  name: string,
  conf: (dir: string, syncRoot: string) => Pick<PluginConfOptions, 'plugins'>,
): Promise<{ dir: string; syncRoot: string; service: Service; rsyncCalls: () => string[] }> {
  const tmp = tmpDir('sersync-pluge2e-m-');
  const syncRoot = join(tmp.path, 'sync-root');
  mkdirSync(syncRoot);
  const rsync = writeRecordingRsync(tmp.path);
  const started: { service?: Service } = {};
  t.after(async () => {
    const { service } = started;
    const code = await service?.stop();
    tmp.cleanup();
    if (service) assert.equal(code, 0, `service exit code (output:\n${service.output()})`);
  });
  const xml = pluginConfXml({
    ...conf(tmp.path, syncRoot),
    roots: [{ watch: syncRoot, remotes: [{ ip: '127.0.0.1', name: 'nowhere' }] }],
    port: await freePort(),
    failLog: join(tmp.path, 'fail.sh'),
  });
  const service = await startService(tmp.path, xml, ['-m', name], { SERSYNC_RSYNC: rsync.path });
  started.service = service;
  return { dir: tmp.path, syncRoot, service, rsyncCalls: rsync.calls };
}

test("-m socket: watches the plugin's own <localpath>, sends each change, never runs rsync", async (t) => {
  const rec = await recorder(t);
  let plugRoot = '';
  const { syncRoot, rsyncCalls } = await startPluginOnly(t, 'socket', (dir) => {
    plugRoot = join(dir, 'plugin-root');
    mkdirSync(plugRoot);
    return {
      plugins: { socket: [{ watch: plugRoot, deshosts: [{ ip: '127.0.0.1', port: rec.port }] }] },
    };
  });
  // The sync root is not what -m socket watches: this change is never reported.
  writeFileSync(join(syncRoot, 'not-mine.txt'), 'x');
  const expected = await stepThrough(changes(plugRoot), rec.received);
  assert.deepEqual([...new Set(rec.received())].sort(), [...expected.keys()].sort());
  assert.deepEqual(rsyncCalls(), [], 'rsync never ran, not even --version');
});

test('-m command: watches the <sersync><localpath> roots, runs the command per change, never runs rsync', async (t) => {
  let made: RecordingCommand | undefined;
  const { dir, syncRoot, rsyncCalls } = await startPluginOnly(t, 'command', (d) => {
    made = writeRecordingCommand(d, 'on-change');
    return { plugins: { command: { prefix: made.path, suffix: '--done' } } };
  });
  const cmd = made;
  assert.ok(cmd);
  const paths = (): string[] => cmd.calls().map((argv) => argv[0] ?? '');
  const expected = await stepThrough(changes(syncRoot), paths);
  for (const argv of cmd.calls()) assert.equal(argv[1], '--done', `argv ${JSON.stringify(argv)}`);
  assert.deepEqual([...new Set(paths())].sort(), [...expected.keys()].sort());
  assert.deepEqual(rsyncCalls(), [], 'rsync never ran, not even --version');
  assertNoInjection(dir);
});

test("-m refreshCDN: one HEAD request per change, URLs relative to the plugin's own <localpath>", async (t) => {
  const rec = await recorder(t, (soFar) =>
    soFar.includes('\r\n\r\n') ? 'HTTP/1.0 200 OK\r\n\r\nwhatsup: succeed\n' : undefined,
  );
  let plugRoot = '';
  const { rsyncCalls } = await startPluginOnly(t, 'refreshCDN', (dir) => {
    plugRoot = join(dir, 'site');
    mkdirSync(plugRoot);
    return {
      plugins: {
        refreshCDN: [
          {
            watch: plugRoot,
            cdn: { domainname: '127.0.0.1', port: rec.port, username: 'u', passwd: 'p' },
            base: 'http://pic.example/cms',
          },
        ],
      },
    };
  });
  const head = (kind: 'urls' | 'dirs', url: string): string =>
    `HEAD /index.jsp?user=u&pswd=p&ok=ok&${kind}=${url} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`;
  await stepThrough(
    [
      {
        what: 'create a file',
        act: () => {
          writeFileSync(join(plugRoot, 'c1.txt'), 'c');
        },
        expect: [head('urls', 'http://pic.example/cms/c1.txt')],
      },
      {
        what: 'mkdir',
        act: () => {
          mkdirSync(join(plugRoot, 'cdir'));
        },
        expect: [head('dirs', 'http://pic.example/cms/cdir/')],
      },
      {
        what: 'write in the new dir',
        act: () => {
          writeFileSync(join(plugRoot, 'cdir', 'r1.png'), 'png');
        },
        expect: [head('urls', 'http://pic.example/cms/cdir/r1.png')],
      },
      {
        what: 'delete a file',
        act: () => {
          rmSync(join(plugRoot, 'c1.txt'));
        },
        expect: [head('urls', 'http://pic.example/cms/c1.txt')],
      },
    ],
    rec.received,
  );
  assert.deepEqual(rsyncCalls(), [], 'rsync never ran, not even --version');
});
