// Reads the head-level `<plugin name=…>` sections (command, socket, refreshCDN, http) into their
// typed configs. A plugin's `<localpath watch>` is only that plugin's field: it never becomes a
// sync root (the original let it replace the watch root). Pure.
import {
  DEFAULTS,
  PLUGIN_NAMES,
  type CommandPluginConfig,
  type HttpPluginConfig,
  type PluginName,
  type PluginsConfig,
  type RefreshCdnPluginConfig,
  type RegexRule,
  type SocketPluginConfig,
} from './types.js';
import { didYouMean, shown, type IssueSink } from './issues.js';
import { all, type Node } from './schema.js';
import { child, PORT, type Fields, type IntRule } from './fields.js';

/**
 * Template values of the command plugin (`<param prefix="/bin/sh" suffix="" ignoreError="true"/>`),
 * except `prefix`: it is required, because the template's /bin/sh runs every changed file as a script.
 */
const COMMAND_DEFAULTS = { suffix: '', ignoreError: true, filter: false } as const;
/** `<param timeout>`: one run of the command may take this long (seconds) before it is killed. */
const COMMAND_TIMEOUT: IntRule = { min: 1, max: 86_400, what: 'a whole number of seconds' };
/** The original's default plugin port (Interface.cpp). */
const CDN_DEFAULT_PORT = 80;

function command(n: Node, f: Fields): CommandPluginConfig {
  const param = child(n, 'param');
  f.required(param, 'prefix', 'the command to run for each change');
  const prefix = f.words(param, 'prefix', '');
  const suffix = f.words(param, 'suffix', COMMAND_DEFAULTS.suffix);
  const filter = child(n, 'filter');
  const includes = all(filter, 'include').flatMap((i): RegexRule[] => {
    const r = f.regex(i, 'expression', true);
    return r === undefined ? [] : [r];
  });
  return {
    prefixRaw: prefix.raw,
    suffixRaw: suffix.raw,
    prefix: prefix.words,
    suffix: suffix.words,
    ignoreError: f.bool(param, 'ignoreError', COMMAND_DEFAULTS.ignoreError),
    timeoutMs: f.int(param, 'timeout', DEFAULTS.commandTimeoutSeconds, COMMAND_TIMEOUT) * 1000,
    filterEnabled: f.bool(filter, 'start', COMMAND_DEFAULTS.filter),
    includes,
  };
}

/** The `<localpath watch>` elements of a plugin section; at least one is required. */
function localpaths(n: Node, f: Fields, sink: IssueSink): readonly { node: Node; watch: string }[] {
  const lps = all(n, 'localpath');
  if (lps.length === 0) {
    sink.error(
      n.at,
      'missing-element',
      `expected a <localpath watch="…"> inside <plugin name="${n.attrs.get('name')?.value ?? ''}">, found none`,
    );
  }
  return lps.map((lp) => {
    const w = f.required(lp, 'watch', 'the directory this plugin reports on');
    return { node: lp, watch: w === undefined ? '' : f.resolve(w) };
  });
}

function deshosts<T>(lp: Node, sink: IssueSink, read: (d: Node) => T | undefined): T[] {
  const ds = all(lp, 'deshost');
  if (ds.length === 0)
    sink.error(
      lp.at,
      'missing-element',
      'expected at least one <deshost …/> inside this <localpath>, found none',
    );
  return ds.flatMap((d) => {
    const v = read(d);
    return v === undefined ? [] : [v];
  });
}

function socket(n: Node, f: Fields, sink: IssueSink): SocketPluginConfig {
  return {
    localpaths: localpaths(n, f, sink).map(({ node, watch }) => ({
      watch,
      deshosts: deshosts(node, sink, (d) => {
        const ip = f.required(d, 'ip', 'the listener address');
        const port = f.requiredInt(d, 'port', PORT);
        return ip === undefined || port === undefined ? undefined : { ip, port };
      }),
    })),
  };
}

function refreshCdn(n: Node, f: Fields, sink: IssueSink): RefreshCdnPluginConfig {
  return {
    localpaths: localpaths(n, f, sink).map(({ node, watch }) => {
      const info = child(node, 'cdninfo');
      const rx = child(node, 'regexurl');
      const regex = f.bool(rx, 'regex', false);
      const match = regex
        ? (f.regex(rx, 'match', false)?.expression ?? '')
        : f.str(rx, 'match', '');
      return {
        watch,
        cdninfo: {
          domainname: f.required(info, 'domainname', 'the CDN API host name') ?? '',
          port: f.int(info, 'port', CDN_DEFAULT_PORT, PORT),
          username: f.required(info, 'username', 'the CDN API user name') ?? '',
          // A secret: `required` never echoes the value, and nothing else here reports it.
          passwd: f.required(info, 'passwd', 'the CDN API password') ?? '',
        },
        sendurlBase:
          f.required(child(node, 'sendurl'), 'base', 'the URL prefix of refreshed files') ?? '',
        regexurl: { regex, match },
      };
    }),
  };
}

function http(n: Node, f: Fields, sink: IssueSink): HttpPluginConfig {
  return {
    localpaths: localpaths(n, f, sink).map(({ node, watch }) => ({
      watch,
      deshosts: deshosts(node, sink, (d) => {
        const url = f.required(d, 'url', 'the URL to POST to');
        return url === undefined ? undefined : { url };
      }),
    })),
  };
}

const isPluginName = (s: string): s is PluginName =>
  (PLUGIN_NAMES as readonly string[]).includes(s);

/** Every head-level plugin section that is present and named correctly; the first of each name wins. */
export function readPlugins(head: Node, f: Fields, sink: IssueSink): PluginsConfig {
  const out: { -readonly [K in keyof PluginsConfig]: PluginsConfig[K] } = {};
  for (const n of all(head, 'plugin')) {
    const name = n.attrs.get('name')?.value;
    if (name === undefined || !isPluginName(name)) {
      const got = name === undefined ? 'no name attribute' : shown(name);
      const hint = name === undefined ? '' : didYouMean(name, PLUGIN_NAMES);
      sink.warn(
        { ...n.at, path: `${n.at.path}@name` },
        'bad-choice',
        `expected a plugin name (${PLUGIN_NAMES.join(', ')}), got ${got}${hint}; this section is ignored`,
      );
      continue;
    }
    if (out[name] !== undefined) {
      sink.warn(
        n.at,
        'duplicate-element',
        `a second <plugin name="${name}"> section; only the first one is used`,
      );
      continue;
    }
    switch (name) {
      case 'command':
        out.command = command(n, f);
        break;
      case 'socket':
        out.socket = socket(n, f, sink);
        break;
      case 'refreshCDN':
        out.refreshCDN = refreshCdn(n, f, sink);
        break;
      case 'http':
        out.http = http(n, f, sink);
        break;
    }
  }
  return out;
}
