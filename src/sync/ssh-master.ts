// ssh mode's persistent connections: one OpenSSH master per ssh login, its control socket in the
// private state directory (`<stateDir>/ssh/<12 hex>`, 0700, ours; or a private directory under
// $XDG_RUNTIME_DIR when that path is too long for a socket). `forRun` gives the runner the
// prepared remote whose `-e ssh` carries the control options (sync/ssh-control.ts); the first run
// starts the master, a run after it died starts a new one; `close` ends them (`ssh -O exit`) at
// stop. Not used when commonParams chooses the remote shell (`-e`, `--rsh`: used as written).
// Any problem with the directory means plain `-e ssh` (one warning): it never stops a run. Shell.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { openPrivateDir, unsafeLocation } from '../util/safe-fs.js';
import { err, ok, type Result } from '../util/result.js';
import { choosesRemoteShell, type PreparedRemote } from './argv.js';
import {
  controlPathOption,
  controlPathProblem,
  controlRsh,
  controlSocketName,
  sshHostOf,
  withRsh,
} from './ssh-control.js';

export interface SshMasters {
  /** `p` with the shared connection's `-e` for a run (`p` itself when not used). */
  forRun(p: PreparedRemote): PreparedRemote;
  /** Ends every master this instance used (`ssh -O exit`) and waits until their sockets are gone. */
  close(): Promise<void>;
  /** The control socket of an ssh login once used (tests, docs). */
  socketOf(host: string): string | undefined;
}

export interface SshMasterOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Environment of the `ssh -O exit` at close (default: this process's, as rsync gets it). */
  readonly env?: NodeJS.ProcessEnv;
  /** `$XDG_RUNTIME_DIR` (default: this process's), for a state directory with a too-long path. */
  readonly runtimeDir?: string | undefined;
}

/** How long `close` waits for one `ssh -O exit` and then for the master's socket to go (ms). */
const CLOSE_WAIT_MS = 5000;

/** Whether runs of `config` use a shared connection at all (ssh mode, no `-e` of the user's). */
export function usesMaster(config: Config): boolean {
  const r = config.sersync.rsync;
  return r.ssh.enabled && !choosesRemoteShell(r.commonParams);
}

/** The directory for the sockets: the state directory's `ssh`, else one under $XDG_RUNTIME_DIR. */
function socketDir(stateDir: string, runtimeDir: string | undefined): Result<string, string> {
  const longest = join(stateDir, 'ssh', controlSocketName(''));
  const first = controlPathProblem(longest);
  const candidates = [join(stateDir, 'ssh')];
  if (first !== undefined && runtimeDir !== undefined && isAbsolute(runtimeDir)) {
    const tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 8);
    candidates.push(join(runtimeDir, `sersync-${tag}`));
  }
  let why = first ?? '';
  for (const dir of candidates) {
    const problem = controlPathProblem(join(dir, controlSocketName(''))) ?? unsafeLocation(dir);
    if (problem !== undefined) {
      why = problem;
      continue;
    }
    const opened = openPrivateDir(dir);
    if (!opened.ok) {
      why = `the socket directory ${dir} ${opened.error}`;
      continue;
    }
    closeSync(opened.value);
    return ok(dir);
  }
  return err(why);
}

/** Removes whatever is at `path` unless it is a socket (a stale socket ssh removes itself). */
function clearNonSocket(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st !== undefined && !st.isSocket()) unlinkSync(path);
}

export function createSshMasters(o: SshMasterOptions): SshMasters {
  const { config, logger } = o;
  const enabled = usesMaster(config);
  const runtimeDir = 'runtimeDir' in o ? o.runtimeDir : process.env['XDG_RUNTIME_DIR'];
  let dir: Result<string, string> | undefined;
  const used = new Map<string, string>(); // ssh login -> socket
  const cache = new Map<string, PreparedRemote>();
  let warned = false;

  const socketFor = (host: string): string | undefined => {
    const known = used.get(host);
    if (known !== undefined) return known;
    dir ??= socketDir(config.sersync.failLog.stateDir, runtimeDir);
    if (!dir.ok) {
      if (!warned)
        logger.warn(
          `ssh: no shared connection (ControlMaster): ${dir.error}; every run pays a handshake`,
        );
      warned = true;
      return undefined;
    }
    const socket = join(dir.value, controlSocketName(host));
    try {
      clearNonSocket(socket);
    } catch (e) {
      logger.warn(`ssh: no shared connection to ${host}: ${socket}: ${String(e)}`);
      return undefined;
    }
    used.set(host, socket);
    logger.info(`ssh: runs to ${host} share one connection (control socket ${socket})`);
    return socket;
  };

  return {
    forRun(p) {
      if (!enabled) return p;
      const key = `${p.root}\u0000${p.remoteIndex}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const lp = config.sersync.localpaths.find((l) => l.watch === p.root);
      const host = sshHostOf(p.destination, lp?.remotes[p.remoteIndex]?.name ?? '');
      const socket = socketFor(host);
      const out =
        socket === undefined ? p : { ...p, transport: withRsh(p.transport, controlRsh(socket)) };
      cache.set(key, out);
      return out;
    },
    async close() {
      await Promise.all(
        [...used].map(async ([host, socket]) => {
          if (lstatSync(socket, { throwIfNoEntry: false })?.isSocket() !== true) return;
          const said = await exitMaster(host, socket, o.env ?? process.env);
          const gone = await socketGone(socket, CLOSE_WAIT_MS);
          if (gone) logger.info(`ssh: closed the shared connection to ${host}`);
          else logger.warn(`ssh: the shared connection to ${host} did not close (${said})`);
        }),
      );
      used.clear();
      cache.clear();
    },
    socketOf: (host) => used.get(host),
  };
}

/** `ssh -O exit` on the master at `socket`; what it said (its stderr), once it ended. */
function exitMaster(host: string, socket: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [controlPathOption(socket), '-O', 'exit', '--', host], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = '';
    child.stderr.on('data', (d: Buffer) => {
      said += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve(said.trim());
    };
    child.once('error', (e) => {
      said += e.message;
      done();
    });
    child.once('close', done);
  });
}

/** Polls until `socket` no longer exists (the master removes it as it exits), at most `ms`. */
async function socketGone(socket: string, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (lstatSync(socket, { throwIfNoEntry: false }) !== undefined) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
