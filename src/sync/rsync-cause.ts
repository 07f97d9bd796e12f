// rsync's stderr -> the line that says what went wrong, and the known permanent causes (a refused
// password, an unknown module, a module the daemon cannot write, ...) with a hint for the operator.
// Such a run is not a network blip: retrying cannot help until someone fixes the other side, so
// the daemon logs the cause once at error level (cause-log.ts) while it keeps retrying. Pure.
//
// The texts are rsync's own (3.1 .. 3.5; checked against a real daemon, test/integration/
// rsync-causes.test.ts) and OpenSSH's.

/** The permanent causes we recognise. */
export type CauseKind =
  | 'auth-failed'
  | 'unknown-module'
  | 'host-refused'
  | 'read-only'
  | 'chroot-failed'
  | 'module-permission'
  | 'password-file'
  | 'ssh-auth'
  | 'ssh-host-key';

export interface Cause {
  readonly kind: CauseKind;
  /** What to check, in one sentence (the error line of cause-log.ts). */
  readonly hint: string;
}

interface Rule extends Cause {
  readonly lines: readonly RegExp[];
}

const rule = (kind: CauseKind, lines: RegExp[], hint: string): Rule => ({ kind, lines, hint });

/** Every known cause: the stderr lines that state it, and the hint. First match wins. */
export const CAUSES: readonly Rule[] = Object.freeze([
  rule(
    'auth-failed',
    [/^@ERROR: auth failed on module /],
    'the rsync daemon refused the user or the password: check <auth users> and the password file (<auth passwordfile>: the password alone on its first line) against the user:password line of the module\'s "secrets file" on the daemon (and its "auth users")',
  ),
  rule(
    'unknown-module',
    [/^@ERROR: Unknown module /],
    "the rsync daemon has no module of that name: check <remote name> against the [module] sections of the daemon's rsyncd.conf",
  ),
  rule(
    'host-refused',
    [/^@ERROR: access denied to /],
    'the module\'s "hosts allow" / "hosts deny" in the daemon\'s rsyncd.conf refuse this machine',
  ),
  rule(
    'read-only',
    [/^ERROR: module is read only/],
    'the module is read only: set "read only = no" in its section of the daemon\'s rsyncd.conf',
  ),
  rule(
    'chroot-failed',
    [/^@ERROR: chroot failed/],
    'the rsync daemon cannot chroot into the module: check that its "path" exists on the daemon (or set "use chroot = no")',
  ),
  rule(
    'module-permission',
    // The receiver is the remote side: the daemon (its module named "(in mod)") or rsync over ssh.
    [
      /^rsync: \[(receiver|generator)\] .*: Permission denied \(13\)$/,
      /^rsync: .*\(in [^)]*\).*: Permission denied \(13\)$/,
    ],
    'the remote side cannot write there: check the module\'s "uid" / "gid" in the daemon\'s rsyncd.conf (ssh: the remote user) and the owner and mode of the target path',
  ),
  rule(
    'password-file',
    [/^ERROR: password file must /, /could not open password file /],
    'rsync refused the password file (<auth passwordfile>): it must be readable by the user sersync runs as, not accessible by others (chmod 600) and, when sersync runs as root, owned by root; sersync --check names the problem',
  ),
  rule(
    'ssh-auth',
    [/: Permission denied \((publickey|password|keyboard-interactive|gssapi)/],
    "ssh refused the login: check the ssh key of the user sersync runs as and the remote user's authorized_keys (ssh runs without a terminal: no password prompt)",
  ),
  rule(
    'ssh-host-key',
    [/^Host key verification failed\.$/],
    "ssh does not trust the remote's host key: add it to the known_hosts of the user sersync runs as (ssh to the remote once by hand as that user)",
  ),
]);

/** The known permanent cause a stderr line states, or undefined. */
export function causeOf(line: string | undefined): Cause | undefined {
  if (line === undefined) return undefined;
  const r = CAUSES.find((c) => c.lines.some((re) => re.test(line)));
  return r === undefined ? undefined : { kind: r.kind, hint: r.hint };
}

/** Lines that say nothing about the failure: rsync's closing summary (the exit code says it), ssh's notice. */
const NOISE: readonly RegExp[] = [/^rsync error: .*\(code \d+\)/, /^Warning: Permanently added /];

/** Whether a stderr line says something: not blank, not NOISE, not a bare password prompt. */
export function isMeaningful(line: string): boolean {
  const t = line.replace(/^Password: ?/, '').trim();
  return t !== '' && !NOISE.some((re) => re.test(t));
}

/** Picks the line of a run that says what went wrong: a known cause's line, else the first meaningful one. */
export function errorLinePicker(): {
  push(line: string): void;
  readonly line: () => string | undefined;
} {
  let first: string | undefined;
  let cause: string | undefined;
  return {
    push(raw) {
      if (cause !== undefined || !isMeaningful(raw)) return;
      const line = raw.replace(/^Password: ?/, '').trim();
      first ??= line;
      if (causeOf(line) !== undefined) cause = line;
    },
    line: () => cause ?? first,
  };
}
