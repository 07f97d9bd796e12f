// A complete Config for the sync tests (root /opt/tongbu unless given, two remotes). Pure.
import { DEFAULTS, type Config, type RegexRule, type RsyncConfig } from '../../../src/config/types.js';

export interface FixtureOptions {
  readonly root?: string;
  readonly remotes?: readonly { ip: string; name: string }[];
  readonly excludes?: readonly string[];
  readonly debug?: boolean;
}

/** Builds a Config; `rsync` overrides the rsync section, `del` the inotify delete switch. */
export function makeConfig(rsync: Partial<RsyncConfig> = {}, del = true, o: FixtureOptions = {}): Config {
  const base: RsyncConfig = {
    commonParamsRaw: '-artuz',
    commonParams: ['-artuz'],
    auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
    userDefinedPort: { enabled: false, port: 874 },
    timeout: { enabled: false, seconds: 100 },
    ssh: { enabled: false },
  };
  const excludes: RegexRule[] = (o.excludes ?? []).map((expression) => ({ expression, regex: new RegExp(`^(?:${expression})$`) }));
  return {
    file: '/etc/confxml.xml',
    host: { enabled: false, hostip: 'localhost', port: 8008 },
    debug: o.debug ?? false,
    xfs: false,
    filter: { enabled: excludes.length > 0, excludes },
    inotify: { ...DEFAULTS.inotify, delete: del },
    sersync: {
      localpaths: [
        {
          watch: o.root ?? '/opt/tongbu',
          remotes: o.remotes ?? [{ ip: '127.0.0.1', name: 'tongbu1' }, { ip: '127.0.0.2', name: 'm2' }],
        },
      ],
      rsync: { ...base, ...rsync },
      failLog: { path: '/tmp/rsync_fail_log.sh', retryIntervalMs: 3_600_000, retryCapMs: 60_000, stateDir: '/tmp/s' },
      crontab: { enabled: false, intervalMs: 36_000_000, excludes: [], filterEnabled: false },
      plugin: { enabled: false, name: 'command' },
    },
    plugins: {},
    daemon: { watcher: 'auto', skipEditorTemp: true, quietMs: 20, pidFile: '/tmp/p', logFile: '/tmp/l' },
  };
}
