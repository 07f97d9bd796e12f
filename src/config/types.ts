// The validated configuration: a deeply frozen tree that mirrors sersync 2.5.4's confxml.xml.
// Names follow the XML (docs/config.md maps 1:1); units are converted at the boundary and named
// in the field (`timeToExecuteMin` in XML -> `retryIntervalMs` here). Pure types + defaults.

/** The eight `<inotify>` switches (sersync names). */
export interface InotifySwitches {
  readonly delete: boolean;
  readonly createFolder: boolean;
  readonly createFile: boolean;
  readonly closeWrite: boolean;
  readonly moveFrom: boolean;
  readonly moveTo: boolean;
  readonly attrib: boolean;
  readonly modify: boolean;
}

export const INOTIFY_SWITCH_NAMES = [
  'delete',
  'createFolder',
  'createFile',
  'closeWrite',
  'moveFrom',
  'moveTo',
  'attrib',
  'modify',
] as const satisfies readonly (keyof InotifySwitches)[];

/** A regular expression from the config, compiled for a FULL match (boost::regex_match semantics). */
export interface RegexRule {
  /** The expression as written in the XML. */
  readonly expression: string;
  /** `^(?:expression)$`. Compiled once at load. */
  readonly regex: RegExp;
}

/** `<remote ip name/>`: one rsync target. `name` is the daemon module, or a remote path in ssh mode. */
export interface Remote {
  readonly ip: string;
  readonly name: string;
}

/** `<sersync><localpath watch>`: one watched root and its targets. */
export interface LocalPath {
  /** Absolute path, no trailing slash (the root `/` stays `/`). */
  readonly watch: string;
  readonly remotes: readonly Remote[];
}

/** `<sersync><rsync>`. Every `start` switch is an `enabled` boolean; the other values are kept either way. */
export interface RsyncConfig {
  /** `commonParams@params` as written. */
  readonly commonParamsRaw: string;
  /** The same split into argv words (whitespace-separated, shell-like quotes honoured; never run through a shell). */
  readonly commonParams: readonly string[];
  readonly auth: {
    readonly enabled: boolean;
    readonly users: string;
    readonly passwordFile: string;
  };
  readonly userDefinedPort: { readonly enabled: boolean; readonly port: number };
  /** rsync `--timeout` (I/O timeout), seconds. */
  readonly timeout: { readonly enabled: boolean; readonly seconds: number };
  readonly ssh: { readonly enabled: boolean };
}

/** `<failLog path timeToExecute>` plus our retry extensions (docs/config.md). */
export interface FailLogConfig {
  /** Absolute path of the sersync-format fail-log script. */
  readonly path: string;
  /** `timeToExecute` minutes, in ms: period of the compatibility re-run of everything in the fail log. */
  readonly retryIntervalMs: number;
  /** Extension `retryCap` (seconds): cap of the exponential retry backoff, in ms. Default 60 s. */
  readonly retryCapMs: number;
  /** Extension `stateDir`: where the durable journal lives. Default: `<dir of path>/sersync-state`. */
  readonly stateDir: string;
}

/** `<crontab start schedule>` + `<crontabfilter>`. */
export interface CrontabConfig {
  readonly enabled: boolean;
  /** `schedule` minutes in ms (<= 0 or non-numeric -> 600 min, as the original). */
  readonly intervalMs: number;
  /** rsync `--exclude` glob patterns (not regexes), only when crontabfilter is on. */
  readonly excludes: readonly string[];
  readonly filterEnabled: boolean;
  /** Why the crontab is off although `start="true"` (the original's filter rule), for a log line. */
  readonly disabledReason?: string;
}

export type PluginName = 'command' | 'socket' | 'refreshCDN' | 'http';
export const PLUGIN_NAMES = [
  'command',
  'socket',
  'refreshCDN',
  'http',
] as const satisfies readonly PluginName[];

export interface CommandPluginConfig {
  readonly prefixRaw: string;
  readonly suffixRaw: string;
  /** prefix / suffix split into words like a shell would (quotes honoured), never run by a shell. */
  readonly prefix: readonly string[];
  readonly suffix: readonly string[];
  /** `ignoreError="true"`: the original's meaning, ` >/dev/null 2>&1` is appended to the command. */
  readonly ignoreError: boolean;
  /** Extension `param@timeout` (seconds): a run still going after this is killed. Default 30 s. */
  readonly timeoutMs: number;
  readonly filterEnabled: boolean;
  /** Full-match regexes against the absolute path. */
  readonly includes: readonly RegexRule[];
}

export interface SocketPluginConfig {
  readonly localpaths: readonly {
    readonly watch: string;
    readonly deshosts: readonly { readonly ip: string; readonly port: number }[];
  }[];
}

export interface RefreshCdnPluginConfig {
  readonly localpaths: readonly {
    readonly watch: string;
    readonly cdninfo: {
      readonly domainname: string;
      readonly port: number;
      readonly username: string;
      readonly passwd: string;
    };
    readonly sendurlBase: string;
    readonly regexurl: { readonly regex: boolean; readonly match: string };
  }[];
}

export interface HttpPluginConfig {
  readonly localpaths: readonly {
    readonly watch: string;
    readonly deshosts: readonly { readonly url: string }[];
  }[];
}

export interface PluginsConfig {
  readonly command?: CommandPluginConfig;
  readonly socket?: SocketPluginConfig;
  readonly refreshCDN?: RefreshCdnPluginConfig;
  readonly http?: HttpPluginConfig;
}

export type WatcherBackend = 'auto' | 'inotify' | 'parcel';

/** `<daemon …/>`: our extensions (the original ignores unknown elements, so files stay loadable by it). */
export interface DaemonConfig {
  /** `watcher`: auto = native inotify on Linux, @parcel/watcher elsewhere. */
  readonly watcher: WatcherBackend;
  /** `skipEditorTemp`: drop vim/emacs scratch files (`4913`, `*~`, `.*.swp`, `.*.swx`) in realtime. Default true. */
  readonly skipEditorTemp: boolean;
  /** `quietMs`: per-path coalescing window while a path keeps changing. Default 20 ms. */
  readonly quietMs: number;
  /** `pidFile`: written in `-d` mode. Default `<stateDir>/sersync.pid`. */
  readonly pidFile: string;
  /** `logFile`: where `-d` writes its log. Default `<dir of fail log>/sersync.log`. */
  readonly logFile: string;
  /**
   * `rootGuard`: refuse a full sync with `--delete` from a root that looks unmounted (empty,
   * another device, a mount point appeared or went; docs/reliability.md "Root guard"). Default true.
   */
  readonly rootGuard: boolean;
  /**
   * `maxDeletePercent`: a guarded full sync may delete at most this share of the entries the last
   * successful full sync counted (rsync `--max-delete`); 100 = no limit. Default 50.
   */
  readonly maxDeletePercent: number;
}

/** The whole validated config. Deeply frozen; nothing downstream re-reads XML. */
export interface Config {
  /** Absolute path of the file it was loaded from. */
  readonly file: string;
  readonly host: { readonly enabled: boolean; readonly hostip: string; readonly port: number };
  readonly debug: boolean;
  readonly xfs: boolean;
  readonly filter: { readonly enabled: boolean; readonly excludes: readonly RegexRule[] };
  readonly inotify: InotifySwitches;
  readonly sersync: {
    /** Every `<localpath>` (the original silently used only the first). */
    readonly localpaths: readonly LocalPath[];
    readonly rsync: RsyncConfig;
    readonly failLog: FailLogConfig;
    readonly crontab: CrontabConfig;
    /** `<sersync><plugin start name>`: run this plugin after each synced change. */
    readonly plugin: { readonly enabled: boolean; readonly name: PluginName };
  };
  /** The head-level `<plugin name=…>` sections that are present. */
  readonly plugins: PluginsConfig;
  readonly daemon: DaemonConfig;
}

/** Template defaults (conf/confxml.xml of sersync 2.5.4), used when an element or attribute is missing. */
export const DEFAULTS = Object.freeze({
  hostip: 'localhost',
  hostPort: 8008,
  inotify: Object.freeze({
    delete: true,
    createFolder: true,
    createFile: false,
    closeWrite: true,
    moveFrom: true,
    moveTo: true,
    attrib: false,
    modify: false,
  } satisfies InotifySwitches),
  commonParams: '-artuz',
  authUsers: 'root',
  authPasswordFile: '/etc/rsync.pas',
  port: 874,
  timeoutSeconds: 100,
  failLogPath: '/tmp/rsync_fail_log.sh',
  timeToExecuteMin: 60,
  retryCapSeconds: 60,
  crontabScheduleMin: 600,
  commandTimeoutSeconds: 30,
  quietMs: 20,
  maxDeletePercent: 50,
});
