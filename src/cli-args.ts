// Command line -> CliOptions: a getopt("hdro:n:m:") normaliser (sersync 2.5.4's exact syntax),
// then a read of its tokens, then validation. Pure: no I/O, expected failures are values.
import { PLUGIN_NAMES, type PluginName } from './config/types.js';
import type { LogFormat, LogLevel } from './log.js';
import { err, ok, type Result } from './util/result.js';

/** What the command line asks for. Filled: every field has its default applied. */
export interface CliOptions {
  /** `-d`: run in the background (log file + pid file). */
  readonly daemon: boolean;
  /** `-r`: one full push of every watch root before realtime sync starts. */
  readonly rsyncFirst: boolean;
  /** `-n`: parallel rsync runs (worker threads). Always >= 1 (`-n 0` means the default 10). */
  readonly threads: number;
  /** `-o`: the config file as given (relative to the cwd); never empty. */
  readonly configFile: string;
  /** `-m`: plugin-only mode (no rsync). */
  readonly module?: PluginName;
  readonly check: boolean;
  readonly help: boolean;
  readonly version: boolean;
  /** `--systemd-unit`: print a systemd unit for this install and the config file, then exit. */
  readonly systemdUnit: boolean;
  /** `--log-level`: overrides `<debug start>` (which means debug, else info). */
  readonly logLevel?: LogLevel;
  /** `--log-format`: `text` (default) or `json` (one JSON object per line). */
  readonly logFormat?: LogFormat;
  /**
   * `--accept-roots`: the first full sync of each root in this run skips the root guard (a root
   * emptied, or moved to another disk, on purpose) and records the root as it is now.
   */
  readonly acceptRoots: boolean;
}

/** A command line the program cannot act on. `message` is one English line, no stack. */
export type UsageError = { readonly kind: 'usage'; readonly message: string };

/** sersync's DEFAULT_THREAD_NUM; also what `-n 0` means. */
export const DEFAULT_THREADS = 10;
/** Upper bound for `-n`: more parallel rsyncs than this only hurts (each is a process + a daemon fork). */
export const MAX_THREADS = 1024;
/** sersync's default config file: `confxml.xml` in the current directory. */
export const DEFAULT_CONFIG_FILE = './confxml.xml';

const usage = (message: string): Result<never, UsageError> => err({ kind: 'usage', message });

/** getopt "hdro:n:m:": the short flags, and the long option each one is rewritten to. */
const SHORT: Readonly<Record<string, { readonly long: string; readonly value: boolean }>> = {
  h: { long: 'help', value: false },
  d: { long: 'daemon', value: false },
  r: { long: 'rsync-first', value: false },
  o: { long: 'config', value: true },
  n: { long: 'threads', value: true },
  m: { long: 'module', value: true },
};

/** Long options we accept (ours; sersync had none), and the canonical name each maps to. */
const LONG: Readonly<Record<string, { readonly long: string; readonly value: boolean }>> = {
  help: { long: 'help', value: false },
  daemon: { long: 'daemon', value: false },
  'rsync-first': { long: 'rsync-first', value: false },
  config: { long: 'config', value: true },
  threads: { long: 'threads', value: true },
  module: { long: 'module', value: true },
  check: { long: 'check', value: false },
  'check-config': { long: 'check', value: false },
  version: { long: 'version', value: false },
  'systemd-unit': { long: 'systemd-unit', value: false },
  'log-level': { long: 'log-level', value: true },
  'log-format': { long: 'log-format', value: true },
  'accept-roots': { long: 'accept-roots', value: false },
};

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

const token = (long: string, value?: string): string =>
  value === undefined ? `--${long}` : `--${long}=${value}`;

/**
 * Rewrites argv the way getopt(3) reads it into unambiguous tokens: `--flag` and `--name=value`,
 * followed by `--` and the operands (if any). Clustered flags (`-dr`), attached values (`-oFILE`,
 * `-n4`), a value taken from the next word even if it starts with `-` (`-o -d` gives config "-d";
 * `-od c.xml` gives config "d" and the operand "c.xml"), `--` ends options, a lone `-` is an operand.
 */
export function normaliseArgv(argv: readonly string[]): Result<string[], UsageError> {
  const tokens: string[] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = Object.hasOwn(LONG, name) ? LONG[name] : undefined;
      if (spec === undefined) return usage(`unrecognized option '--${name}'`);
      if (!spec.value) {
        if (inline !== undefined) return usage(`option '--${name}' doesn't allow an argument`);
        tokens.push(token(spec.long));
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) return usage(`option '--${name}' requires an argument`);
      tokens.push(token(spec.long, value));
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const c = arg.charAt(j);
      const spec = Object.hasOwn(SHORT, c) ? SHORT[c] : undefined;
      if (spec === undefined) return usage(`invalid option -- '${c}'`);
      if (!spec.value) {
        tokens.push(token(spec.long));
        continue;
      }
      const attached = arg.slice(j + 1);
      const value = attached !== '' ? attached : argv[++i];
      if (value === undefined) return usage(`option requires an argument -- '${c}'`);
      tokens.push(token(spec.long, value));
      break;
    }
  }
  return ok(operands.length > 0 ? [...tokens, '--', ...operands] : tokens);
}

/**
 * Reads normalised tokens (`--flag`, `--name=value`, `--`, operands) into a record keyed by the
 * canonical long name, operands under `_`. normaliseArgv has already refused unknown options and
 * missing values; a repeated option: the last one wins, as with getopt.
 */
function readTokens(tokens: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dash = tokens.indexOf('--');
  const opts = dash < 0 ? tokens : tokens.slice(0, dash);
  out['_'] = dash < 0 ? [] : tokens.slice(dash + 1);
  for (const t of opts) {
    const eq = t.indexOf('=');
    if (eq < 0) out[t.slice(2)] = true;
    else out[t.slice(2, eq)] = t.slice(eq + 1);
  }
  return out;
}

/** A value option's text (undefined when the option was not given). */
const str = (v: unknown): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

function parseThreads(text: string | undefined): Result<number, UsageError> {
  if (text === undefined) return ok(DEFAULT_THREADS);
  if (!/^[+-]?\d+$/.test(text))
    return usage(`-n expects a whole number of threads, got ${JSON.stringify(text)}`);
  const n = Number(text);
  // sersync 2.5.4 silently started no worker at all for a negative -n; we refuse it.
  if (n < 0) return usage(`-n must not be negative, got ${text}`);
  if (n > MAX_THREADS) return usage(`-n must be at most ${MAX_THREADS}, got ${text}`);
  return ok(n === 0 ? DEFAULT_THREADS : n); // sersync: 0 -> DEFAULT_THREAD_NUM
}

const isPluginName = (s: string): s is PluginName =>
  (PLUGIN_NAMES as readonly string[]).includes(s);

/**
 * Parses the arguments after `node script` (i.e. `process.argv.slice(2)`).
 * Flags: -d -r -n N -o FILE -m NAME -h, plus --check, --version, --systemd-unit, --log-level,
 * --log-format, --accept-roots (and the long aliases
 * --daemon --rsync-first --threads --config --module --help --check-config).
 * Operands are refused (sersync ignored them; here they are almost always a typo such as `-od c.xml`).
 */
export function parseCliArgs(argv: readonly string[]): Result<CliOptions, UsageError> {
  const norm = normaliseArgv(argv);
  if (!norm.ok) return norm;
  const a = readTokens(norm.value);
  const operands = Array.isArray(a['_']) ? (a['_'] as unknown[]) : [];
  if (operands.length > 0) return usage(`unexpected argument ${JSON.stringify(str(operands[0]))}`);
  const threads = parseThreads(str(a['threads']));
  if (!threads.ok) return threads;
  const configFile = str(a['config']) ?? DEFAULT_CONFIG_FILE;
  if (configFile === '') return usage('-o needs a config file name, got an empty string');
  const rawModule = str(a['module']);
  if (rawModule !== undefined && !isPluginName(rawModule)) {
    return usage(`-m expects one of ${PLUGIN_NAMES.join(', ')}; got ${JSON.stringify(rawModule)}`);
  }
  const logLevel = str(a['log-level']);
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel))
    return usage(
      `--log-level expects one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(logLevel)}`,
    );
  const logFormat = str(a['log-format']);
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat))
    return usage(`--log-format expects text or json; got ${JSON.stringify(logFormat)}`);
  return ok({
    daemon: a['daemon'] === true,
    rsyncFirst: a['rsync-first'] === true,
    threads: threads.value,
    configFile,
    ...(rawModule === undefined ? {} : { module: rawModule }),
    check: a['check'] === true,
    help: a['help'] === true,
    version: a['version'] === true,
    systemdUnit: a['systemd-unit'] === true,
    ...(logLevel === undefined ? {} : { logLevel: logLevel as LogLevel }),
    ...(logFormat === undefined ? {} : { logFormat: logFormat as LogFormat }),
    acceptRoots: a['accept-roots'] === true,
  });
}

/** The `-h` text (English; the flags keep sersync's meaning). Ends with a newline. */
export function helpText(): string {
  return `Usage: sersync [-d] [-r] [-n N] [-o FILE] [-m NAME]
       sersync --check [-o FILE]
       sersync --systemd-unit [-o FILE]
Realtime file sync: watches local directories (inotify) and pushes every change to the remote
rsync servers named in the config file. Compatible with sersync 2.5.4 (confxml.xml, flags).

  -d, --daemon          run in the background: output goes to the log file and a pid file is
                        written (<daemon logFile> / <daemon pidFile> in the config file)
  -r, --rsync-first     push each watched directory to its remotes once (a full rsync)
                        before realtime sync starts
  -n, --threads N       number of rsync runs at the same time (worker threads);
                        default ${DEFAULT_THREADS}, and 0 also means ${DEFAULT_THREADS}
  -o, --config FILE     the config file; default ${DEFAULT_CONFIG_FILE}
  -m, --module NAME     plugin-only mode, no rsync: ${PLUGIN_NAMES.join(', ')}
  -h, --help            print this help and exit
      --check           check the config file: print every error and warning, then exit
                        (0 when usable, 78 when not); nothing is started
      --version         print the version and exit
      --systemd-unit    print a hardened systemd unit that runs this install with FILE
                        (absolute paths), then exit; see docs/install.md
      --log-level L     error, warn, info or debug (default: debug when <debug start="true">,
                        else info)
      --log-format F    text (default) or json: one JSON object per line
      --accept-roots    run the first full sync of each root even if the root guard refuses
                        it (a root emptied or moved to another disk on purpose), and record
                        the roots as they are now; see docs/reliability.md

Flags combine as with sersync: -dro FILE, -r -d -o FILE, -oFILE, -n 4.
Exit codes: 0 ok, 64 bad flags, 66 config file missing, 69 rsync missing or too old,
70 internal error, 73 already running / log file not writable, 78 config error.
`;
}
