// One complete, valid Config for unit tests (what the loader would build), with the few fields
// tests vary as options. Pure.
import {
  DEFAULTS,
  type Config,
  type InotifySwitches,
  type PluginsConfig,
  type RegexRule,
  type Remote,
  type RsyncConfig,
} from '../../src/config/types.js';

/** A full-match rule as the config loader builds it. */
export function rule(expression: string): RegexRule {
  return { expression, regex: new RegExp(`^(?:${expression})$`) };
}

export interface TestConfigOptions {
  readonly roots?: readonly string[];
  readonly remotes?: readonly Remote[];
  readonly rsync?: Partial<RsyncConfig>;
  readonly inotify?: Partial<InotifySwitches>;
  readonly excludes?: readonly string[];
  /** `<filter start>`; default: on when there are excludes. */
  readonly filterOn?: boolean;
  readonly debug?: boolean;
  readonly skipEditorTemp?: boolean;
  readonly plugins?: PluginsConfig;
}

/** Builds the Config; every root gets the same `remotes` (default one: 127.0.0.1::tongbu1). */
export function testConfig(o: TestConfigOptions = {}): Config {
  const excludes = (o.excludes ?? []).map(rule);
  const remotes = o.remotes ?? [{ ip: '127.0.0.1', name: 'tongbu1' }];
  return {
    file: '/etc/confxml.xml',
    host: { enabled: false, hostip: DEFAULTS.hostip, port: DEFAULTS.hostPort },
    debug: o.debug ?? false,
    xfs: false,
    filter: { enabled: o.filterOn ?? excludes.length > 0, excludes },
    inotify: { ...DEFAULTS.inotify, ...o.inotify },
    sersync: {
      localpaths: (o.roots ?? ['/opt/tongbu']).map((watch) => ({ watch, remotes })),
      rsync: {
        commonParamsRaw: '-artuz',
        commonParams: ['-artuz'],
        auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
        userDefinedPort: { enabled: false, port: 874 },
        timeout: { enabled: false, seconds: 100 },
        ssh: { enabled: false },
        ...o.rsync,
      },
      failLog: {
        path: '/tmp/rsync_fail_log.sh',
        retryIntervalMs: 3_600_000,
        retryCapMs: 60_000,
        stateDir: '/tmp/sersync-state',
      },
      crontab: { enabled: false, intervalMs: 36_000_000, excludes: [], filterEnabled: false },
      plugin: { enabled: false, name: 'command' },
    },
    plugins: o.plugins ?? {},
    daemon: {
      watcher: 'auto',
      skipEditorTemp: o.skipEditorTemp ?? true,
      quietMs: DEFAULTS.quietMs,
      pidFile: '/tmp/p',
      logFile: '/tmp/l',
      rootGuard: true,
      maxDeletePercent: DEFAULTS.maxDeletePercent,
    },
  };
}
