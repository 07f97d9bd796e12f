// Element tree -> validated, deeply frozen Config, collecting every issue in one pass: names first
// (schema.ts), then each field (template default when absent), then the cross-field rules. The file
// system is reached only through the injected FsProbe. Pure.
import { posix } from 'node:path';
import { deepFreeze } from '../util/deep-freeze.js';
import { err, ok, type Result } from '../util/result.js';
import {
  DEFAULTS,
  INOTIFY_SWITCH_NAMES,
  PLUGIN_NAMES,
  type Config,
  type CrontabConfig,
  type InotifySwitches,
  type LocalPath,
  type PluginName,
  type RegexRule,
  type Remote,
  type WatcherBackend,
} from './types.js';
import { byPosition, IssueSink, shown, type ConfigIssue } from './issues.js';
import { all, first, normalise, whereAttr, type Node } from './schema.js';
import { child, Fields, PORT, type IntRule } from './fields.js';
import { readPlugins } from './plugin-sections.js';
import { processLocations } from '../state/locations.js';
import type { XmlElement } from './xml.js';

/** The two file-system questions validation asks (a real one in load.ts, a fake in tests). */
export interface FsProbe {
  isDirectory(path: string): boolean;
  /** st_mode or undefined when missing */
  mode(path: string): number | undefined;
}

export interface ValidateContext {
  /** The file as the user named it (for messages). */
  readonly file: string;
  /** Absolute path of the file (Config.file). */
  readonly absFile: string;
  /** Relative paths in the file resolve against this directory (as the original did with its cwd). */
  readonly cwd: string;
  readonly probe: FsProbe;
  /**
   * `-m NAME` (plugin-only mode, no rsync): the `<sersync>` section's rsync side is not used, so a
   * `<sersync><localpath>` that does not exist, has no `<remote>`, or a missing password file is
   * not an error (sersync 2.5.4 never read them in -m mode). `-m command` watches that localpath:
   * a missing one is a warning there.
   */
  readonly module?: PluginName;
}

/** A usable config plus the warnings found on the way. */
export interface Validated {
  readonly config: Config;
  readonly warnings: readonly ConfigIssue[];
}

const MINUTE_MS = 60_000;
/** Node timers overflow above 2^31-1 ms (~24.8 days): longer intervals would fire at once. */
const MAX_TIMER_MIN = Math.floor(0x7fffffff / MINUTE_MS);
const MINUTES: IntRule = { min: 1, max: MAX_TIMER_MIN, what: 'a whole number of minutes' };
const SECONDS: IntRule = {
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: 'a whole number of seconds',
};
const CAP_SECONDS: IntRule = { min: 1, max: 86_400, what: 'a whole number of seconds' };
const QUIET_MS: IntRule = { min: 0, max: 60_000, what: 'a whole number of milliseconds' };
const WATCHERS: readonly WatcherBackend[] = ['auto', 'inotify', 'parcel'];
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function localPaths(
  sersync: Node,
  f: Fields,
  sink: IssueSink,
  probe: FsProbe,
  module: PluginName | undefined,
): LocalPath[] {
  const lps = all(sersync, 'localpath');
  // -m socket|refreshCDN|http never read <sersync>; -m command only reads the watch roots.
  const strict = module === undefined;
  const rootsUsed = module === undefined || module === 'command';
  if (lps.length === 0 && rootsUsed) {
    sink.error(
      sersync.at,
      'missing-element',
      'expected at least one <localpath watch="…"> with a <remote …/> inside <sersync>: there is nothing to watch',
    );
  }
  return lps.flatMap((lp): LocalPath[] => {
    const raw = rootsUsed
      ? f.required(lp, 'watch', 'the directory to watch')
      : lp.attrs.get('watch')?.value;
    const watch = raw === undefined || raw.trim() === '' ? undefined : f.resolve(raw);
    if (watch !== undefined && rootsUsed && !probe.isDirectory(watch)) {
      const missing = probe.mode(watch) === undefined;
      const report = strict ? sink.error.bind(sink) : sink.warn.bind(sink);
      report(
        whereAttr(lp, 'watch'),
        missing ? 'not-found' : 'wrong-file-type',
        `expected an existing directory, but ${shown(watch)} ${missing ? 'does not exist' : 'is not a directory'}`,
      );
    }
    const remotes = all(lp, 'remote');
    if (!strict) return watch === undefined ? [] : [{ watch, remotes: [] }];
    if (remotes.length === 0)
      sink.error(
        lp.at,
        'missing-element',
        'expected at least one <remote ip="…" name="…"/> inside <localpath>, found none',
      );
    const seen = new Set<string>();
    const rs = remotes.flatMap((r): Remote[] => {
      const ip = f.required(r, 'ip', 'the rsync server address');
      const name = f.required(r, 'name', 'the rsync module (or remote path in ssh mode)');
      if (ip === undefined || name === undefined) return [];
      const key = `${ip}\0${name}`;
      if (seen.has(key)) {
        sink.warn(
          r.at,
          'duplicate-remote',
          `the remote ${shown(ip)} / ${shown(name)} is listed twice here; it is synced once`,
        );
        return [];
      }
      seen.add(key);
      return [{ ip, name }];
    });
    return watch === undefined ? [] : [{ watch, remotes: rs }];
  });
}

/** Two roots with the same path, or one inside another, would sync the same files twice. */
function checkRoots(sersync: Node, roots: readonly LocalPath[], sink: IssueSink): void {
  const nodes = all(sersync, 'localpath').filter((lp) => lp.attrs.get('watch')?.value.trim());
  roots.forEach((r, i) => {
    const at = nodes[i] === undefined ? sersync.at : whereAttr(nodes[i], 'watch');
    for (const earlier of roots.slice(0, i)) {
      const a = r.watch;
      const b = earlier.watch;
      const inside = (x: string, y: string): boolean => y === '/' || x.startsWith(`${y}/`);
      if (a === b)
        sink.error(
          at,
          'duplicate-root',
          `expected distinct watch roots, but ${shown(a)} is already watched by an earlier <localpath>`,
        );
      else if (inside(a, b))
        sink.error(
          at,
          'nested-root',
          `expected separate trees, but ${shown(a)} lies inside the earlier watch root ${shown(b)}`,
        );
      else if (inside(b, a))
        sink.error(
          at,
          'nested-root',
          `expected separate trees, but the earlier watch root ${shown(b)} lies inside ${shown(a)}`,
        );
    }
  });
}

function regexList(parent: Node, name: string, f: Fields): RegexRule[] {
  return all(parent, name).flatMap((n) => {
    const r = f.regex(n, 'expression', true);
    return r === undefined ? [] : [r];
  });
}

function crontab(sersync: Node, filterOn: boolean, f: Fields, sink: IssueSink): CrontabConfig {
  const n = child(sersync, 'crontab');
  const enabled = f.bool(n, 'start', false);
  let intervalMin: number = DEFAULTS.crontabScheduleMin;
  const sched = n.attrs.get('schedule')?.value;
  if (sched !== undefined) {
    const v = /^\s*-?\d+\s*$/.test(sched) ? Number(sched) : NaN;
    if (Number.isSafeInteger(v) && v > 0 && v <= MAX_TIMER_MIN) intervalMin = v;
    else if (Number.isSafeInteger(v) && v > MAX_TIMER_MIN)
      sink.error(
        whereAttr(n, 'schedule'),
        'bad-number',
        `expected a whole number of minutes 1-${MAX_TIMER_MIN}, got ${shown(sched)}`,
      );
    else
      sink.warn(
        whereAttr(n, 'schedule'),
        'value-replaced',
        `expected a whole number of minutes > 0, got ${shown(sched)}; it counts as ${DEFAULTS.crontabScheduleMin} minutes (as in sersync 2.5.4)`,
      );
  }
  const cf = child(n, 'crontabfilter');
  const filterEnabled = f.bool(cf, 'start', false);
  const patterns = all(cf, 'exclude').flatMap((e) => {
    const p = f.required(e, 'expression', 'an rsync exclude pattern');
    return p === undefined ? [] : [p];
  });
  const excludes = filterEnabled ? patterns : [];
  if (enabled && filterOn && excludes.length === 0) {
    const reason =
      'the realtime <filter> is on but <crontabfilter> has no active <exclude>, so a full sync would copy the filtered files (the sersync 2.5.4 rule)';
    sink.warn(whereAttr(n, 'start'), 'crontab-disabled', `crontab is switched off: ${reason}`);
    return {
      enabled: false,
      intervalMs: intervalMin * MINUTE_MS,
      excludes,
      filterEnabled,
      disabledReason: reason,
    };
  }
  return { enabled, intervalMs: intervalMin * MINUTE_MS, excludes, filterEnabled };
}

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
  else if ((mode & 0o006) !== 0) {
    const perm = (mode & 0o777).toString(8).padStart(3, '0');
    sink.error(
      at,
      'insecure-mode',
      `expected a password file others cannot read or write (rsync refuses it otherwise), but ${shown(file)} has mode ${perm}; run chmod 600 on it`,
    );
  }
}

/**
 * Validates a parsed document. Errors and warnings are all collected; `err` carries both when any
 * error was found, `ok` carries the frozen Config and the warnings. Never throws on bad input.
 */
export function validateConfig(
  root: XmlElement,
  ctx: ValidateContext,
): Result<Validated, readonly ConfigIssue[]> {
  const sink = new IssueSink(ctx.file);
  const head = normalise(root, sink);
  if (head === undefined) return err(sink.issues);
  const f = new Fields(sink, ctx.cwd);

  const hostN = first(head, 'host');
  const host = {
    enabled: hostN !== undefined,
    hostip: f.str(child(head, 'host'), 'hostip', DEFAULTS.hostip),
    port: f.int(child(head, 'host'), 'port', DEFAULTS.hostPort, PORT),
  };
  const filterN = child(head, 'filter');
  const filter = {
    enabled: f.bool(filterN, 'start', false),
    excludes: regexList(filterN, 'exclude', f),
  };
  const inotifyN = child(head, 'inotify');
  const inotify = Object.fromEntries(
    INOTIFY_SWITCH_NAMES.map((s) => [s, f.bool(child(inotifyN, s), 'start', DEFAULTS.inotify[s])]),
  ) as unknown as InotifySwitches;

  const sersyncN = child(head, 'sersync');
  const localpaths = localPaths(sersyncN, f, sink, ctx.probe, ctx.module);
  checkRoots(sersyncN, localpaths, sink);

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
  } else if (auth.enabled && auth.passwordFile !== '' && ctx.module === undefined) {
    passwordFile(authN, auth.passwordFile, ctx.probe, sink);
  }
  if (ssh.enabled && userDefinedPort.enabled) {
    sink.warn(
      whereAttr(portN, 'port'),
      'ignored-setting',
      `the port ${userDefinedPort.port} is ignored with <ssh start="true"> (as in sersync 2.5.4): rsync uses --port only for rsync-daemon (::) targets; set the ssh port in commonParams (-e 'ssh -p N') or in ~/.ssh/config`,
    );
  }

  const flN = child(sersyncN, 'failLog');
  const failPath = f.path(flN, 'path', DEFAULTS.failLogPath, 'a fail-log file path');
  const where = processLocations(ctx.absFile); // outside world-writable dirs (docs/security.md)
  const stateDir = f.path(flN, 'stateDir', where.stateDir, 'a state directory');
  const failLog = {
    path: failPath,
    retryIntervalMs: f.int(flN, 'timeToExecute', DEFAULTS.timeToExecuteMin, MINUTES) * MINUTE_MS,
    retryCapMs: f.int(flN, 'retryCap', DEFAULTS.retryCapSeconds, CAP_SECONDS) * 1000,
    stateDir,
  };

  const spN = child(sersyncN, 'plugin');
  const plugin = {
    enabled: f.bool(spN, 'start', false),
    name: f.choice(spN, 'name', PLUGIN_NAMES, 'command'),
  };
  const plugins = readPlugins(head, f, sink);
  if (plugin.enabled && plugins[plugin.name] === undefined) {
    sink.error(
      whereAttr(spN, 'name'),
      'missing-element',
      `expected a <plugin name="${plugin.name}"> section under <head> for the started plugin, found none`,
    );
  }
  const pluginWatch =
    plugin.name === 'socket' || plugin.name === 'refreshCDN'
      ? plugins[plugin.name]?.localpaths[0]?.watch
      : undefined;
  if (plugin.enabled && pluginWatch !== undefined && pluginWatch !== localpaths[0]?.watch) {
    sink.warn(
      whereAttr(spN, 'start'),
      'compat-difference',
      `sersync 2.5.4 watched the plugin's localpath ${shown(pluginWatch)} instead of the <sersync><localpath>; this version keeps watching the <sersync> roots`,
    );
  }

  const dN = child(head, 'daemon');
  const daemon = {
    watcher: f.choice(dN, 'watcher', WATCHERS, 'auto'),
    skipEditorTemp: f.bool(dN, 'skipEditorTemp', true),
    quietMs: f.int(dN, 'quietMs', DEFAULTS.quietMs, QUIET_MS),
    pidFile: f.path(
      dN,
      'pidFile',
      posix.join(stateDir || where.stateDir, 'sersync.pid'),
      'a pid file path',
    ),
    logFile: f.path(dN, 'logFile', where.logFile, 'a log file path'),
  };

  const config: Config = {
    file: ctx.absFile,
    host,
    debug: f.bool(child(head, 'debug'), 'start', false),
    xfs: f.bool(child(head, 'fileSystem'), 'xfs', false),
    filter,
    inotify,
    sersync: {
      localpaths,
      rsync: {
        commonParamsRaw: params.raw,
        commonParams: params.words,
        auth,
        userDefinedPort,
        timeout,
        ssh,
      },
      failLog,
      crontab: crontab(sersyncN, filter.enabled, f, sink),
      plugin,
    },
    plugins,
    daemon,
  };
  const issues = byPosition(sink.issues);
  if (sink.hasErrors) return err(issues);
  return ok({ config: deepFreeze(config), warnings: issues });
}
