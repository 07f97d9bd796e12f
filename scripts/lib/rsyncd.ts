// A real `rsync --daemon` on 127.0.0.1 with a free port, started and stopped by its user
// (tests, `npm run demo`, `npm run bench`). Never binds outside 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync, readFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export interface RsyncdModule {
  name: string;
  /** Absolute path the module serves (created if missing). */
  path: string;
  /** When set, `auth users` + a secrets file (mode 0600) are configured. */
  auth?: { user: string; password: string };
}

/** Daemon options: `uid`/`gid` the daemon switches to (default: the caller's ids when root). */
export interface RsyncdOptions {
  uid?: string;
  gid?: string;
}

export interface Rsyncd {
  port: number;
  logFile: string;
  /** Number of `connect from` lines in the daemon log so far (= rsync runs). */
  connections(): number;
  /** Bytes the daemon received so far over all finished runs (file data, lists, protocol). */
  receivedBytes(): number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => {
      resolve(false);
    });
  });
}

/** Writes rsyncd.conf under `dir` and starts the daemon; resolves when it accepts connections. */
export async function startRsyncd(
  dir: string,
  modules: RsyncdModule[],
  opts: RsyncdOptions = {},
): Promise<Rsyncd> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const logFile = join(dir, 'rsyncd.log');
  const lines = [
    'use chroot = no',
    'reverse lookup = no',
    'max connections = 0',
    `pid file = ${join(dir, 'rsyncd.pid')}`,
    `log file = ${logFile}`,
    'read only = no',
    // Without chroot rsyncd munges symlinks by default; a sync target must hold them as they are.
    'munge symlinks = no',
    // As root the daemon would switch to nobody and fail to write the module; keep the caller's ids.
    ...(opts.uid !== undefined
      ? [`uid = ${opts.uid}`, `gid = ${opts.gid ?? 'nogroup'}`]
      : process.getuid?.() === 0
        ? ['uid = root', 'gid = root']
        : []),
    '',
  ];
  for (const m of modules) {
    mkdirSync(m.path, { recursive: true });
    lines.push(`[${m.name}]`, `path = ${m.path}`, 'read only = no');
    if (m.auth) {
      const secrets = join(dir, `${m.name}.secrets`);
      writeFileSync(secrets, `${m.auth.user}:${m.auth.password}\n`);
      chmodSync(secrets, 0o600);
      lines.push(`auth users = ${m.auth.user}`, `secrets file = ${secrets}`);
    }
    lines.push('');
  }
  const conf = join(dir, 'rsyncd.conf');
  writeFileSync(conf, lines.join('\n'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(
      'rsync',
      ['--daemon', '--no-detach', '--address=127.0.0.1', `--port=${port}`, `--config=${conf}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitUntil(() => canConnect(port), 10_000, `rsync daemon on port ${port} (${stderr})`);
  };
  await start();
  return {
    port,
    logFile,
    connections: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l.includes('connect from')).length
        : 0,
    receivedBytes: () =>
      existsSync(logFile)
        ? [...readFileSync(logFile, 'utf8').matchAll(/ received (\d+) bytes /g)].reduce(
            (n, m) => n + Number(m[1]),
            0,
          )
        : 0,
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
      await waitUntil(async () => !(await canConnect(port)), 5_000, 'rsync daemon to stop');
    },
    start,
  };
}
