// Where an instance keeps its state and its -d log by default: outside world-writable directories,
// one directory per config file (docs/security.md). defaultLocations computes them from the uid
// and environment it is given; processLocations reads those of this process. Shell.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { posix } from 'node:path';

/** What the defaults depend on. */
export interface LocationInputs {
  /** Absolute path of the config file (Config.file). */
  readonly configFile: string;
  /** Effective uid (0 = root). */
  readonly uid: number;
  /** `XDG_STATE_HOME`, if set (ignored unless absolute, as the XDG spec says). */
  readonly xdgStateHome: string | undefined;
  /** The home directory (for `~/.local/state`). */
  readonly home: string;
}

export interface DefaultLocations {
  readonly stateDir: string;
  readonly logFile: string;
}

/**
 * The instance name of a config file: a readable slug of its path (without `.xml`, at most 40
 * characters, from the end) and 8 hex digits of its SHA-256, e.g. `etc-sersync-confxml-1a2b3c4d`.
 * Two config files never share it (the hash), the same file always gets it.
 */
export function instanceName(configFile: string): string {
  const hash = createHash('sha256').update(configFile).digest('hex').slice(0, 8);
  const slug = configFile
    .replace(/\.xml$/i, '')
    .split('/')
    .filter((c) => c !== '')
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(-40)
    .replace(/^[-.]+/, '');
  return slug === '' ? hash : `${slug}-${hash}`;
}

/**
 * Root: `/var/lib/sersync/INSTANCE` and `/var/log/sersync/INSTANCE.log`. Anyone else:
 * `$XDG_STATE_HOME/sersync/INSTANCE` (default `~/.local/state`), the log inside it.
 */
export function defaultLocations(i: LocationInputs): DefaultLocations {
  const name = instanceName(i.configFile);
  if (i.uid === 0) {
    return {
      stateDir: posix.join('/var/lib/sersync', name),
      logFile: posix.join('/var/log/sersync', `${name}.log`),
    };
  }
  const xdg = i.xdgStateHome;
  const base =
    xdg !== undefined && posix.isAbsolute(xdg) ? xdg : posix.join(i.home, '.local', 'state');
  const stateDir = posix.join(base, 'sersync', name);
  return { stateDir, logFile: posix.join(stateDir, 'sersync.log') };
}

/** defaultLocations for this process (euid, XDG_STATE_HOME, the home directory). */
export function processLocations(configFile: string): DefaultLocations {
  return defaultLocations({
    configFile,
    uid: process.geteuid?.() ?? 0,
    xdgStateHome: process.env['XDG_STATE_HOME'],
    home: homedir(),
  });
}
