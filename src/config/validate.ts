// Element tree -> validated, deeply frozen Config, collecting every issue in one pass: names first
// (schema.ts), then each field (template default when absent), then the cross-field rules. The
// sections have their own files (roots.ts, rsync-section.ts, timed-sections.ts, plugin-sections.ts);
// the file system is reached only through the injected FsProbe. Pure.
import { posix } from 'node:path';
import { deepFreeze } from '../util/deep-freeze.js';
import { err, ok, type Result } from '../util/result.js';
import {
  DEFAULTS,
  INOTIFY_SWITCH_NAMES,
  PLUGIN_NAMES,
  type Config,
  type DaemonConfig,
  type InotifySwitches,
  type LocalPath,
  type PluginName,
  type PluginsConfig,
  type RegexRule,
  type WatcherBackend,
} from './types.js';
import { byPosition, IssueSink, shown, type ConfigIssue } from './issues.js';
import { all, first, normalise, whereAttr, type Node } from './schema.js';
import { child, Fields, PORT, type IntRule } from './fields.js';
import type { FsProbe } from './fs-probe.js';
import { readPlugins } from './plugin-sections.js';
import { checkRoots, localPaths } from './roots.js';
import { rsyncSection } from './rsync-section.js';
import { crontab, failLogSection } from './timed-sections.js';
import type { XmlElement } from './xml.js';

export type { FsProbe } from './fs-probe.js';

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

const QUIET_MS: IntRule = { min: 0, max: 60_000, what: 'a whole number of milliseconds' };
const PERCENT: IntRule = { min: 1, max: 100, what: 'a whole percentage' };
const WATCHERS: readonly WatcherBackend[] = ['auto', 'inotify', 'parcel'];

function regexList(parent: Node, name: string, f: Fields): RegexRule[] {
  return all(parent, name).flatMap((n) => {
    const r = f.regex(n, 'expression', true);
    return r === undefined ? [] : [r];
  });
}

/** <sersync><plugin> (which plugin runs) and the check that its section exists. */
function pluginChoice(
  head: Node,
  sersyncN: Node,
  localpaths: readonly LocalPath[],
  f: Fields,
  sink: IssueSink,
): { plugin: Config['sersync']['plugin']; plugins: PluginsConfig } {
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
  return { plugin, plugins };
}

function daemonSection(
  head: Node,
  stateDir: string,
  where: { readonly stateDir: string; readonly logFile: string },
  f: Fields,
): DaemonConfig {
  const dN = child(head, 'daemon');
  return {
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
    // A safety switch: only the exact "false" turns it off, anything else but "true" is an error.
    rootGuard: f.choice(dN, 'rootGuard', ['true', 'false'], 'true') === 'true',
    maxDeletePercent: f.int(dN, 'maxDeletePercent', DEFAULTS.maxDeletePercent, PERCENT),
  };
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

  const rsync = rsyncSection(sersyncN, f, sink, ctx.probe, ctx.module);
  const { failLog, where } = failLogSection(sersyncN, f, ctx.absFile);
  const { plugin, plugins } = pluginChoice(head, sersyncN, localpaths, f, sink);
  const daemon = daemonSection(head, failLog.stateDir, where, f);

  const config: Config = {
    file: ctx.absFile,
    host,
    debug: f.bool(child(head, 'debug'), 'start', false),
    xfs: f.bool(child(head, 'fileSystem'), 'xfs', false),
    filter,
    inotify,
    sersync: {
      localpaths,
      rsync,
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
