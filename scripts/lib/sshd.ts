// A real OpenSSH sshd on 127.0.0.1 with a free port, started and stopped by its user (ssh mode
// against the real thing: the tests through test/helpers/sshd.ts, `npm run bench`). Host and user
// keys are made here with ssh-keygen; no file outside `dir` is read or written except the
// privilege-separation directory sshd insists on (/run/sshd, created when missing and running as
// root). Never binds outside 127.0.0.1.
//
//   const sshd = await startSshd(join(tmp, 'sshd'));
//   env PATH = `${sshd.binDir}:${process.env.PATH}`   -> plain `ssh 127.0.0.1` reaches it (-p inside)
//   or commonParams `-e '${sshd.sshNoPort} -p ${sshd.port}'` (what users write for a custom port)
//   ...
//   await sshd.stop();
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './rsyncd.js';

/** Where Debian's openssh-server puts the daemon (sshd re-executes itself: an absolute path). */
export const SSHD = '/usr/sbin/sshd';
/** The real client the wrappers call. */
const SSH = '/usr/bin/ssh';

export interface Sshd {
  readonly port: number;
  /** The login name the key is authorised for (the user running the tests). */
  readonly user: string;
  /**
   * A directory holding an executable `ssh` that logs in with the test's key, checks the host key
   * against the test's known_hosts and uses this sshd's port: put it first on PATH and a plain
   * `ssh 127.0.0.1` (what rsync runs for `-e ssh`) reaches this sshd.
   */
  readonly binDir: string;
  /**
   * The same wrapper WITHOUT the port (it would try port 22): for configurations that give the port
   * themselves, e.g. commonParams `-e '<sshNoPort> -p <port>'`. A later `-p` wins in ssh.
   */
  readonly sshNoPort: string;
  /** The daemon's stderr so far (`-e`: its log). */
  log(): string;
  /** Successful logins so far ("Accepted publickey" lines). */
  logins(): number;
  /** Stops the daemon (SIGTERM) and waits until it exited. Idempotent. */
  stop(): Promise<void>;
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sersync-test', '-f', file], {
    stdio: 'ignore',
  });
}

function wrapper(path: string, key: string, knownHosts: string, port?: number): void {
  const portArg = port === undefined ? '' : ` -p ${port}`;
  writeFileSync(
    path,
    `#!/bin/sh
# ssh for the test sshd (test/helpers/sshd.ts): its key and known_hosts only, no user config.
exec ${SSH} -F /dev/null -i ${shQuote(key)} -o IdentitiesOnly=yes -o BatchMode=yes \\
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${shQuote(knownHosts)} \\
  -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR${portArg} "$@"
`,
  );
  chmodSync(path, 0o755);
}

/**
 * Makes the keys under `dir` and starts sshd; resolves once it logged that it listens (its own
 * readiness line), rejects with its log if it exits or does not get there within `timeoutMs`.
 */
export async function startSshd(dir: string, timeoutMs = 10_000): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server`);
  mkdirSync(dir, { recursive: true });
  // sshd refuses to start as root without its (empty, root-owned) privilege separation directory.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd'))
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  keygen(hostKey);
  keygen(userKey);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${userKey}.pub`));
  chmodSync(authorized, 0o600);
  const port = await freePort();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8')}`);
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  wrapper(join(binDir, 'ssh'), userKey, knownHosts, port);
  const sshNoPort = join(dir, 'ssh-noport');
  wrapper(sshNoPort, userKey, knownHosts);

  const child: ChildProcess = spawn(
    SSHD,
    [
      '-D',
      '-e',
      '-f',
      '/dev/null',
      '-p',
      String(port),
      '-h',
      hostKey,
      '-o',
      'ListenAddress=127.0.0.1',
      '-o',
      `AuthorizedKeysFile=${authorized}`,
      '-o',
      'PidFile=none',
      '-o',
      'StrictModes=no',
      '-o',
      'PasswordAuthentication=no',
      '-o',
      'KbdInteractiveAuthentication=no',
      '-o',
      'PermitRootLogin=prohibit-password',
      // the test's own stray sessions must never hang a run
      '-o',
      'ClientAliveInterval=10',
      // bash run by sshd sources ~/.bashrc when it is a top-level shell (SHLVL < 2): a heavy
      // ~/.bashrc (this machine's root runs `pyenv init`, 1-2 s) would dwarf what is measured.
      '-o',
      'SetEnv=SHLVL=1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const exited = new Promise<void>((r) => {
    child.once('exit', () => {
      r();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not start listening within ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}.`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${sig ?? `code ${String(code)}`}) before listening:\n${log}`));
    });
  });
  return {
    port,
    user: userInfo().username,
    binDir,
    sshNoPort,
    log: () => log,
    logins: () => log.split('\n').filter((l) => l.startsWith('Accepted publickey')).length,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
