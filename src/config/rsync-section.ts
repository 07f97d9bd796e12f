// The <sersync><rsync> section: commonParams, auth (and its password file's type and mode),
// userDefinedPort, timeout and ssh, with the settings rsync ignores in ssh mode. Part of
// validateConfig (validate.ts). Pure: the file system is asked through the FsProbe.
import { shown, type IssueSink, type Where } from './issues.js';
import { whereAttr, type Node } from './schema.js';
import { child, PORT, type Fields, type IntRule } from './fields.js';
import type { FsProbe } from './fs-probe.js';
import { DEFAULTS, type PluginName, type RsyncConfig } from './types.js';

const SECONDS: IntRule = {
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: 'a whole number of seconds',
};
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function passwordFile(authN: Node, file: string, probe: FsProbe, sink: IssueSink): void {
  const at = whereAttr(authN, 'passwordfile');
  const mode = probe.mode(file);
  if (mode === undefined)
    sink.error(
      at,
      'not-found',
      `expected an existing password file, but ${shown(file)} does not exist`,
    );
  else if ((mode & S_IFMT) !== S_IFREG)
    sink.error(
      at,
      'wrong-file-type',
      `expected a regular password file, but ${shown(file)} is not a file`,
    );
  else if (probe.readable?.(file) === false)
    sink.error(
      at,
      'unreadable',
      `expected a password file this user${uidText(probe.uid)} can read (rsync runs as the same user and exits 1), but ${shown(file)} is not readable; make it readable by the user sersync runs as, mode 600`,
    );
  else if ((mode & 0o006) !== 0) {
    const perm = (mode & 0o777).toString(8).padStart(3, '0');
    sink.error(
      at,
      'insecure-mode',
      `expected a password file others cannot read or write (rsync refuses it otherwise: "password file must not be other-accessible"), but ${shown(file)} has mode ${perm}; run chmod 600 on it`,
    );
  } else rootOwned(at, file, probe, sink);
}

const uidText = (uid: number | undefined): string => (uid === undefined ? '' : ` (uid ${uid})`);

/** rsync as root refuses a password file root does not own ("must be owned by root when running as root"). */
function rootOwned(at: Where, file: string, probe: FsProbe, sink: IssueSink): void {
  const owner = probe.owner?.(file);
  if (probe.uid !== 0 || owner === undefined || owner === 0) return;
  sink.error(
    at,
    'wrong-owner',
    `expected a password file owned by root, as rsync requires when it runs as root ("password file must be owned by root when running as root"), but ${shown(file)} is owned by uid ${owner}; run chown root on it`,
  );
}

/** `module`: the -m plugin (plugin-only mode: the password file is never read). */
export function rsyncSection(
  sersyncN: Node,
  f: Fields,
  sink: IssueSink,
  probe: FsProbe,
  module: PluginName | undefined,
): RsyncConfig {
  const rsyncN = child(sersyncN, 'rsync');
  const params = f.words(child(rsyncN, 'commonParams'), 'params', DEFAULTS.commonParams);
  const authN = child(rsyncN, 'auth');
  const authPw = authN.attrs.get('passwordfile')?.value ?? DEFAULTS.authPasswordFile;
  const auth = {
    enabled: f.bool(authN, 'start', false),
    users: f.str(authN, 'users', DEFAULTS.authUsers),
    passwordFile:
      authPw.trim() === ''
        ? ''
        : f.path(authN, 'passwordfile', DEFAULTS.authPasswordFile, 'a password file'),
  };
  const portN = child(rsyncN, 'userDefinedPort');
  const userDefinedPort = {
    enabled: f.bool(portN, 'start', false),
    port: f.int(portN, 'port', DEFAULTS.port, PORT),
  };
  const timeoutN = child(rsyncN, 'timeout');
  const timeout = {
    enabled: f.bool(timeoutN, 'start', false),
    seconds: f.int(timeoutN, 'time', DEFAULTS.timeoutSeconds, SECONDS),
  };
  const ssh = { enabled: f.bool(child(rsyncN, 'ssh'), 'start', false) };
  if (ssh.enabled && auth.enabled) {
    sink.warn(
      whereAttr(authN, 'passwordfile'),
      'ignored-setting',
      'rsync uses --password-file only for rsync-daemon (::) targets; with <ssh start="true"> it is ignored and ssh authenticates',
    );
  } else if (auth.enabled && auth.passwordFile !== '' && module === undefined) {
    passwordFile(authN, auth.passwordFile, probe, sink);
  }
  if (ssh.enabled && userDefinedPort.enabled) {
    sink.warn(
      whereAttr(portN, 'port'),
      'ignored-setting',
      `the port ${userDefinedPort.port} is ignored with <ssh start="true"> (as in sersync 2.5.4): rsync uses --port only for rsync-daemon (::) targets; set the ssh port in commonParams (-e 'ssh -p N') or in ~/.ssh/config`,
    );
  }
  return {
    commonParamsRaw: params.raw,
    commonParams: params.words,
    auth,
    userDefinedPort,
    timeout,
    ssh,
  };
}
