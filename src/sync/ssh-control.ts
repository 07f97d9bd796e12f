// The words of ssh mode's shared connection (OpenSSH ControlMaster): the control socket's name and
// path checks, and the `-e` command rsync runs, quoted for rsync's own word splitting and for
// ssh's option parser. Pure. The shell side (directory, closing) is sync/ssh-master.ts.
//
//   rsync -e "ssh -oControlMaster=auto '-oControlPath=\"/var/lib/sersync/x/ssh/1a2b3c4d5e6f\"'
//             -oControlPersist=600 -oServerAliveInterval=30"
//
// The first run's ssh connects and becomes the master (ControlMaster=auto); ControlPersist puts it
// in the background, where it stays while runs use it and for ControlPersist seconds after the
// last one. Later runs open a session on it (no TCP, key exchange or login). A master that died
// leaves a stale socket: the next run's ssh removes it and becomes the new master.
import { createHash } from 'node:crypto';
import { hasRawBytes } from '../util/byte-names.js';

/**
 * The longest control socket path ssh can use: ssh binds `PATH.<16 random chars>` first and a unix
 * socket path holds at most 107 bytes (108 with its NUL), so 107 - 17 = 90.
 */
export const MAX_CONTROL_PATH_BYTES = 90;

/** How long an idle master stays (s): a crashed service's master does not live on for ever. */
export const CONTROL_PERSIST_SECONDS = 600;

/** Keep-alives on the shared connection (s): a dead link fails the runs instead of hanging them. */
export const SERVER_ALIVE_SECONDS = 30;

/** The ssh login of an rsync-over-ssh destination `[user@]host:path`: `[user@]host`. */
export function sshHostOf(destination: string, path: string): string {
  const suffix = `:${path}`;
  return destination.endsWith(suffix) ? destination.slice(0, -suffix.length) : destination;
}

/** The socket's file name for one ssh login: 12 hex digits of its SHA-256 (short: see above). */
export function controlSocketName(host: string): string {
  return createHash('sha256').update(`ssh\u0000${host}`).digest('hex').slice(0, 12);
}

/** Why `path` cannot be ssh's ControlPath, or undefined when it can. */
export function controlPathProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_CONTROL_PATH_BYTES)
    return `its control socket ${path} would be ${bytes} bytes long, more than the ${MAX_CONTROL_PATH_BYTES} ssh can use (choose a shorter <failLog stateDir>)`;
  if (hasRawBytes(path)) return `its control socket path ${path} is not valid UTF-8`;
  if (path.includes('${')) return `its control socket path ${path} holds "\${", which ssh expands`;
  if (/[\n\r\0]/.test(path))
    return `its control socket path ${JSON.stringify(path)} holds a line break`;
  return undefined;
}

/**
 * `-oControlPath=…` as ssh reads it: ssh splits an option's value like a config line (quotes,
 * backslash escapes) and expands `%` tokens in it, so the path goes in double quotes with `\` and
 * `"` escaped and `%` doubled.
 */
export function controlPathOption(path: string): string {
  const quoted = path.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%');
  return `-oControlPath="${quoted}"`;
}

/**
 * One word of an rsync `-e` command: rsync splits it on spaces and honours single and double
 * quotes (a doubled quote inside stands for itself), no backslashes. Plain words stay as they are.
 */
export function rsyncShellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "''")}'`;
}

/** The ssh words of a run sharing the master at `socket`. */
export function controlWords(socket: string, persistSeconds = CONTROL_PERSIST_SECONDS): string[] {
  return [
    '-oControlMaster=auto',
    controlPathOption(socket),
    `-oControlPersist=${persistSeconds}`,
    `-oServerAliveInterval=${SERVER_ALIVE_SECONDS}`,
  ];
}

/** rsync's `-e` value for runs sharing the master at `socket` (the remote shell `ssh` from PATH). */
export function controlRsh(socket: string, persistSeconds = CONTROL_PERSIST_SECONDS): string {
  return ['ssh', ...controlWords(socket, persistSeconds)].map(rsyncShellWord).join(' ');
}

/**
 * `transport` with its `-e ssh` replaced by `-e RSH`; the same array when it has none (a remote
 * shell chosen in commonParams, a daemon target).
 */
export function withRsh(transport: readonly string[], rsh: string): readonly string[] {
  const i = transport.findIndex((w, k) => w === '-e' && transport[k + 1] === 'ssh');
  if (i < 0) return transport;
  return [...transport.slice(0, i + 1), rsh, ...transport.slice(i + 2)];
}

/** Splits an rsync `-e` command into its words the way rsync does (for tests and checks). */
export function splitRsh(cmd: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    if (cmd[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    let quote = '';
    while (i < cmd.length && (cmd[i] !== ' ' || quote !== '')) {
      const c = cmd.charAt(i);
      if ((c === "'" || c === '"') && quote === '') {
        quote = c;
        i++;
      } else if (c === quote && cmd[i + 1] !== quote) {
        quote = '';
        i++;
      } else {
        word += c;
        i += c === quote ? 2 : 1;
      }
    }
    out.push(word);
  }
  return out;
}
