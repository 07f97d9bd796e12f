// Config → running plugin: picks the plugin by name, wires it onto a bounded queue, and answers
// the daemon's questions (which roots -m watches, which config problems to report). Shell.
import type { Config, PluginName } from '../config/types.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';
import { unreachable } from '../util/unreachable.js';
import { runCommand } from './command.js';
import { runHttp, httpTargets } from './http.js';
import { createPluginQueue, type CallResult } from './plugin-queue.js';
import {
  PLUGIN_DEFAULTS,
  isWithin,
  showPath,
  trimSlash,
  type Plugin,
  type PluginEvent,
} from './plugin.js';
import { cdnTargets, runRefreshCdn } from './refresh-cdn.js';
import { runSocket, socketDestinations } from './socket.js';

export interface CreatePluginOptions {
  /**
   * Use this root instead of every `<localpath watch>` of the plugin (socket, refreshCDN, http):
   * each localpath then receives every event under it, refreshCDN's relative URL and http's
   * `watchroot=` are computed against it. Ignored by command (it has no localpath).
   */
  readonly watchOverride?: string;
  readonly capacity?: number;
  readonly timeoutMs?: number;
  readonly closeGraceMs?: number;
  readonly clock?: Clock;
}

function missing(name: PluginName): Error {
  return new Error(
    `Internal error: no <plugin name="${name}"> section in the config (checkPlugin must reject this first)`,
  );
}

/**
 * Builds the plugin `name` from `config.plugins[name]`. Throws (a bug) when that section is
 * absent: call `checkPlugin` at start-up and exit on its errors first.
 */
export function createPlugin(
  name: PluginName,
  config: Config,
  logger: Logger,
  opts: CreatePluginOptions = {},
): Plugin {
  const clock = opts.clock ?? systemClock;
  const over = opts.watchOverride === undefined ? undefined : trimSlash(opts.watchOverride);
  const debug = (m: string): void => {
    logger.debug(m);
  };
  let run: (ev: PluginEvent, signal: AbortSignal) => Promise<CallResult>;
  switch (name) {
    case 'command': {
      const cfg = config.plugins.command;
      if (cfg === undefined) throw missing(name);
      run = (ev, signal) => runCommand(cfg, ev, signal, debug);
      break;
    }
    case 'socket': {
      const cfg = config.plugins.socket;
      if (cfg === undefined) throw missing(name);
      run = (ev, signal) =>
        runSocket(
          socketDestinations(cfg, ev.absPath, over),
          ev,
          signal,
          clock,
          PLUGIN_DEFAULTS.socketTries,
          PLUGIN_DEFAULTS.socketRetryGapMs,
        );
      break;
    }
    case 'refreshCDN': {
      const cfg = config.plugins.refreshCDN;
      if (cfg === undefined) throw missing(name);
      run = (ev, signal) => runRefreshCdn(cdnTargets(cfg, ev, over), ev, signal, debug);
      break;
    }
    case 'http': {
      const cfg = config.plugins.http;
      if (cfg === undefined) throw missing(name);
      run = (ev, signal) => runHttp(httpTargets(cfg, ev, over), ev, signal);
      break;
    }
    default:
      return unreachable(name);
  }
  const queue = createPluginQueue<PluginEvent>({
    name,
    capacity: opts.capacity ?? PLUGIN_DEFAULTS.capacity,
    timeoutMs:
      opts.timeoutMs ??
      (name === 'command' ? config.plugins.command?.timeoutMs : undefined) ??
      PLUGIN_DEFAULTS.timeoutMs[name],
    closeGraceMs: opts.closeGraceMs ?? PLUGIN_DEFAULTS.closeGraceMs,
    logger,
    clock,
    run,
    describe: (ev) => `${ev.op} ${showPath(ev.absPath)}`,
  });
  return {
    name,
    notify: (ev) => {
      queue.push(ev);
    },
    stats: () => queue.stats(),
    close: () => queue.close(),
  };
}

/**
 * The roots `-m name` watches: the plugin's own `<localpath watch>` values (socket, refreshCDN,
 * http; duplicates removed) or the `<sersync><localpath>` roots (command). Empty when the section
 * is absent.
 */
export function pluginWatchRoots(name: PluginName, config: Config): string[] {
  const roots = (() => {
    switch (name) {
      case 'command':
        return config.sersync.localpaths.map((lp) => lp.watch);
      case 'socket':
        return (config.plugins.socket?.localpaths ?? []).map((lp) => lp.watch);
      case 'refreshCDN':
        return (config.plugins.refreshCDN?.localpaths ?? []).map((lp) => lp.watch);
      case 'http':
        return (config.plugins.http?.localpaths ?? []).map((lp) => lp.watch);
      default:
        return unreachable(name);
    }
  })();
  return [...new Set(roots.map(trimSlash))];
}

/** Start-up problems of a plugin: errors (refuse to start) and warnings (log and go on). */
export interface PluginCheck {
  readonly errors: string[];
  readonly warnings: string[];
}

/**
 * Checks that plugin `name` can run in `mode` (`sersync`: after each rsync; `standalone`: -m).
 * In sersync mode a plugin localpath that overlaps no `<sersync><localpath>` can never fire
 * (we do not replace the sync root with it as the original did): that is a warning. Pure.
 */
export function checkPlugin(
  name: PluginName,
  config: Config,
  mode: 'sersync' | 'standalone',
): PluginCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const at = `plugin ${name}`;
  const section = config.plugins[name];
  if (section === undefined) {
    errors.push(`${at}: no <plugin name="${name}"> section in ${config.file}`);
    return { errors, warnings };
  }
  const watches: string[] = 'localpaths' in section ? section.localpaths.map((lp) => lp.watch) : [];
  if ('localpaths' in section && watches.length === 0)
    errors.push(`${at}: no <localpath watch=…> given`);
  if (mode === 'sersync') {
    const roots = config.sersync.localpaths.map((lp) => lp.watch);
    for (const w of watches) {
      if (!roots.some((r) => isWithin(r, w) || isWithin(w, r))) {
        warnings.push(
          `${at}: <localpath watch="${w}"> overlaps no <sersync><localpath>; it only receives events under it, so it will never fire`,
        );
      }
    }
  }
  switch (name) {
    case 'command': {
      const c = config.plugins.command;
      if (c?.prefix.length === 0) errors.push(`${at}: <param prefix> is empty (nothing to run)`);
      if (
        c?.prefix[0] !== undefined &&
        /(^|\/)(ba|da|z)?sh$/.test(c.prefix[0]) &&
        c.prefix.length === 1
      )
        warnings.push(
          `${at}: prefix "${c.prefixRaw}" runs every changed file as a shell script (the template default)`,
        );
      break;
    }
    case 'socket':
      for (const lp of config.plugins.socket?.localpaths ?? [])
        if (lp.deshosts.length === 0)
          errors.push(`${at}: <localpath watch="${lp.watch}"> has no <deshost ip port>`);
      break;
    case 'refreshCDN':
      for (const lp of config.plugins.refreshCDN?.localpaths ?? []) {
        const { domainname, username, passwd } = lp.cdninfo;
        if (domainname === '' || username === '' || passwd === '' || lp.sendurlBase === '')
          errors.push(
            `${at}: <cdninfo domainname username passwd> and <sendurl base> must not be empty`,
          );
        if (lp.regexurl.regex) {
          try {
            new RegExp(lp.regexurl.match);
          } catch (e) {
            errors.push(
              `${at}: <regexurl match> is not a valid regular expression: ${(e as Error).message}`,
            );
          }
        }
      }
      break;
    case 'http':
      for (const lp of config.plugins.http?.localpaths ?? []) {
        if (lp.deshosts.length === 0)
          errors.push(`${at}: <localpath watch="${lp.watch}"> has no <deshost url>`);
        for (const d of lp.deshosts)
          if (!/^http:\/\/[^/]/i.test(d.url))
            errors.push(`${at}: <deshost url> must be an http:// URL`);
      }
      break;
    default:
      return unreachable(name);
  }
  return { errors, warnings };
}
