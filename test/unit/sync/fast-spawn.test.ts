// The rsync spawner (fast-spawn.ts): the addon's posix_spawn and the child_process fallback give
// the worker the same child: exit codes, signals, spawn errors, a cwd by fd, the bytes on stdin
// and stdout, group kills; and the native one leaks no fd, leaves no zombie and works from a
// worker thread without holding it open.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { Worker } from 'node:worker_threads';
import { pathListBytes } from '../../../src/sync/argv.js';
import { spawnChild, spawnVia, type SpawnedChild } from '../../../src/sync/fast-spawn.js';
import { signalGroup } from '../../../src/sync/kill.js';
import { spawnCwd } from '../../../src/util/byte-cwd.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { eventually } from '../../helpers/eventually.js';
import { tmpDir } from '../../helpers/tmp.js';

const tmp = tmpDir('sersync-fastspawn-');
after(tmp.cleanup);

type Via = 'native' | 'child_process';
const VIAS: readonly Via[] = ['native', 'child_process'];

interface Ran {
  readonly child: SpawnedChild;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: Buffer;
  readonly err: Buffer;
}

/** Runs `file args` to its 'close', feeding `input` on stdin. */
async function run(
  via: Via,
  file: string,
  args: readonly string[],
  opts: { cwd?: number | string; input?: Buffer; onSpawn?: (c: SpawnedChild) => void } = {},
): Promise<Ran> {
  const child = spawnChild(file, args, { cwd: opts.cwd ?? tmp.path, detached: true, via });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input ?? Buffer.alloc(0));
  opts.onSpawn?.(child);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { child, code, signal, out: Buffer.concat(out), err: Buffer.concat(err) };
}

/** A pid that is neither running nor left unreaped by this process. */
function reaped(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state === 'Z' ? Number(ppid) !== process.pid : false;
}

test('the native spawner is what the worker gets on Linux', () => {
  assert.equal(spawnVia(), process.platform === 'linux' ? 'native' : 'child_process');
});

for (const via of VIAS) {
  test(`${via}: exit code, stdout and stderr, and the child is reaped by 'close'`, async () => {
    const r = await run(via, 'sh', ['-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual([r.code, r.signal, r.child.exitCode, r.child.signalCode], [7, null, 7, null]);
    assert.equal(r.out.toString(), 'out\n');
    assert.equal(r.err.toString(), 'err\n');
    assert.ok(r.child.pid !== undefined && reaped(r.child.pid), 'no zombie left');
  });

  test(`${via}: a child killed by a signal closes with its name`, async () => {
    const r = await run(via, 'sh', ['-c', 'kill -USR1 $$']);
    assert.deepEqual([r.code, r.signal, r.child.signalCode], [null, 'SIGUSR1', 'SIGUSR1']);
  });

  test(`${via}: a missing program is an 'error' with ENOENT before any spawn`, async () => {
    const c = spawnChild('sersync-no-such-program', ['x'], { cwd: tmp.path, detached: true, via });
    c.stdin.on('error', () => undefined);
    c.stdin.end('x');
    const [e] = (await once(c, 'error')) as [NodeJS.ErrnoException];
    assert.equal(c.pid, undefined);
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.message, 'spawn sersync-no-such-program ENOENT');
  });

  test(`${via}: a missing working directory is an 'error' with ENOENT`, async () => {
    const c = spawnChild('true', [], { cwd: `${tmp.path}/gone`, detached: true, via });
    const [e] = (await once(c, 'error')) as [NodeJS.ErrnoException];
    assert.equal(e.code, 'ENOENT');
  });

  test(`${via}: a cwd given by fd runs in that directory, raw bytes in its name`, async () => {
    const dir = `${tmp.path}/${via}-fotos${decodeName(Buffer.of(0xe9))}`;
    mkdirSync(encodeName(dir));
    writeFileSync(encodeName(`${dir}/inside`), 'x');
    const c = spawnCwd(dir);
    try {
      assert.ok(c.fd !== undefined);
      const r = await run(via, 'sh', ['-c', 'pwd -P; ls'], { cwd: c.fd });
      assert.equal(r.code, 0, r.err.toString());
      assert.deepEqual(r.out, Buffer.concat([encodeName(dir), Buffer.from('\ninside\n')]));
    } finally {
      c.close();
    }
  });

  test(`${via}: the NUL-separated path list on stdin reaches the child byte for byte`, async () => {
    const list = encodeName(pathListBytes(['a b', `caf${decodeName(Buffer.of(0xe9))}`, 'é/x']));
    const r = await run(via, 'cat', [], { input: list });
    assert.deepEqual(r.out, list);
    assert.deepEqual(r.out.subarray(0, 6), Buffer.from('./a b\0'));
  });

  test(`${via}: megabytes in and out at once do not deadlock`, async () => {
    const input = Buffer.alloc(4 << 20, 'sersync\n');
    const r = await run(via, 'sh', ['-c', 'cat; head -c 3000000 /dev/zero >&2'], { input });
    assert.equal(r.code, 0);
    assert.ok(r.out.equals(input), 'stdout is stdin');
    assert.equal(r.err.length, 3_000_000);
  });

  test(`${via}: stdout closed long before the exit: 'close' waits for the exit`, async () => {
    const c = spawnChild('sh', ['-c', 'exec >&-; read x; exit 4'], {
      cwd: tmp.path,
      detached: true,
      via,
    });
    c.stderr.resume();
    let closed = false;
    c.once('close', () => (closed = true));
    c.stdout.resume();
    await once(c.stdout, 'end');
    assert.equal(c.exitCode, null, 'still running: it waits for a line on stdin');
    assert.equal(closed, false);
    c.stdin.end('go\n');
    const [code] = (await once(c, 'close')) as [number | null];
    assert.equal(code, 4);
  });

  test(`${via}: a signal to the group reaches the grandchild too`, async () => {
    let child: SpawnedChild | undefined;
    const grandchild = new Promise<number>((resolve) => {
      void run(via, 'sh', ['-c', 'sleep 300 & echo $!; wait'], {
        onSpawn: (c) => {
          child = c;
          c.stdout.once('data', (b: Buffer) => {
            resolve(Number(b.toString().trim()));
          });
        },
      });
    });
    const gpid = await grandchild;
    assert.ok(child?.pid !== undefined);
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.deepEqual([Number(pgrp), Number(session)], [child.pid, child.pid], 'setsid');
    const closed = once(child, 'close');
    assert.equal(signalGroup(child.pid, 'SIGTERM'), true);
    // 'close' needs the grandchild gone: it holds the stdout pipe.
    assert.deepEqual(await closed, [null, 'SIGTERM']);
    await eventually(() => reaped(gpid), { what: 'the grandchild to be gone' });
  });

  test(`${via}: the child holds only its three pipes, no signal blocked or ignored`, async () => {
    // What this process would hand any child: its fds without O_CLOEXEC (a test runner's own).
    const inheritable = readdirSync('/proc/self/fd').filter((fd) => {
      if (Number(fd) <= 2 || !existsSync(`/proc/self/fdinfo/${fd}`)) return false; // readdir's own
      const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
      return (parseInt(/flags:\s*(\d+)/.exec(info)?.[1] ?? '0', 8) & 0o2000000) === 0;
    });
    const dir = `${tmp.path}/${via}-fds${decodeName(Buffer.of(0xfc))}`;
    mkdirSync(encodeName(dir));
    const c = spawnCwd(dir); // an open directory fd, as the worker has one
    // The shell says it is ready, then waits on stdin: its fds are looked at in a steady state
    // (a program starting up has its libraries open for a moment).
    const ch = spawnChild('sh', ['-c', 'echo ready; read x'], {
      cwd: c.fd ?? c.cwd,
      detached: true,
      via,
    });
    c.close();
    ch.stderr.resume();
    await once(ch.stdout, 'data');
    const fdDir = `/proc/${ch.pid}/fd`;
    const seen = {
      fds: readdirSync(fdDir).sort(),
      links: ['0', '1', '2'].map((fd) => readlinkSync(`${fdDir}/${fd}`)),
      status: readFileSync(`/proc/${ch.pid}/status`, 'utf8'),
    };
    ch.stdin.end('\n');
    ch.stdout.resume();
    assert.deepEqual(await once(ch, 'close'), [0, null]);
    assert.deepEqual(seen.fds, ['0', '1', '2', ...inheritable].sort());
    for (const l of seen.links) assert.match(l, /^(pipe|socket):\[\d+\]$/);
    assert.match(seen.status, /^SigBlk:\s*0+$/m);
    assert.match(seen.status, /^SigIgn:\s*0+$/m, 'SIGPIPE (ignored in node) is default again');
  });
}

const THREAD = new URL('./fast-spawn-thread.js', import.meta.url);

test('native on a worker thread: the exit arrives there, and the thread then ends by itself', async () => {
  const w = new Worker(THREAD, { workerData: { mode: 'exit' } });
  const [msg] = (await once(w, 'message')) as [Record<string, unknown>];
  assert.deepEqual(
    { ...msg, pid: undefined },
    {
      via: spawnVia(),
      pid: undefined,
      code: 5,
      signal: null,
      out: 'hi\n',
    },
  );
  const [exitCode] = (await once(w, 'exit')) as [number];
  assert.equal(exitCode, 0, 'not terminated: nothing held its loop open');
  assert.ok(typeof msg['pid'] === 'number' && reaped(msg['pid']));
});

test('native on a worker thread terminated while its child runs: no crash, no zombie', async () => {
  const w = new Worker(THREAD, { workerData: { mode: 'hold' } });
  const [msg] = (await once(w, 'message')) as [{ pid: number }];
  assert.ok(!reaped(msg.pid), 'cat is running');
  await w.terminate();
  // The thread's pipes closed with it: cat sees EOF, exits, and the waiter still reaps it.
  await eventually(() => reaped(msg.pid), { what: 'cat to be reaped' });
});
