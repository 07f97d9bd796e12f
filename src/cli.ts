#!/usr/bin/env node
// The `sersync` command: argv -> options -> config -> rsync check -> (-d: detach) -> daemon -> exit
// code (docs/cli.md, docs/exit-codes.md). Shell. Only a bug (exit 70) ever prints a stack trace.
// SIGUSR1 reopens the `-d` log file (logrotate); in the foreground it is ignored.
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { helpText, parseCliArgs, type CliOptions } from './cli-args.js';
import { formatIssue } from './config/issues.js';
import { loadConfig } from './config/load.js';
import type { Config, PluginName } from './config/types.js';
import {
  daemonChildCwd,
  describeDaemonFailure,
  detach,
  holdPidFile,
  notifyParentReady,
  startWaitMs,
} from './daemonize.js';
import { ExitCode } from './exit-codes.js';
import { createLogger, fdIsJournal, type ClosableLogger } from './log.js';
import { configSecrets } from './log-secrets.js';
import { checkRsync } from './rsync-check.js';
import { importLegacyState } from './state/import-legacy.js';
import { holdStateDir, refusedLocations } from './state/state-dir.js';
import { createSystemdNotifier } from './systemd/notify.js';
import { unitForThisInstall } from './systemd/print-unit.js';
import { packageVersion } from './version.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
// Under journald (stderr is the journal stream) `<3>`/`<4>`: stored as err/warning, not info.
const complain = (line: string, priority: 3 | 4 = 3): void => {
  process.stderr.write(`${fdIsJournal(2) ? `<${priority}>` : ''}sersync: ${line}\n`);
};

/** In the `-d` child: the log file, where a crash report goes (stderr may be a rotated file). */
let crashLog: string | undefined;

/** Loads and reports the config: warnings always, errors with the exit code they mean. */
async function load(
  file: string,
  cwd: string,
  module: PluginName | undefined,
): Promise<{ config: Config; warnings: number } | ExitCode> {
  const loaded = await loadConfig(file, module === undefined ? { cwd } : { cwd, module });
  if (!loaded.ok) {
    const f = loaded.error;
    if (f.kind !== 'invalid') {
      complain(f.message);
      return ExitCode.NO_INPUT;
    }
    for (const issue of f.issues) complain(formatIssue(issue));
    const errors = f.issues.filter((i) => i.severity === 'error').length;
    complain(
      `${file}: ${errors} error(s), ${f.issues.length - errors} warning(s); nothing was started`,
    );
    return ExitCode.CONFIG;
  }
  for (const w of loaded.value.warnings) complain(formatIssue(w), 4);
  return { config: loaded.value.config, warnings: loaded.value.warnings.length };
}

/** `-d` in the user's terminal: start the background copy and report how it went. */
async function startInBackground(config: Config, cwd: string): Promise<number> {
  const wait = startWaitMs(process.env);
  if (!wait.ok) {
    complain(wait.error);
    return ExitCode.USAGE;
  }
  const r = await detach({
    readyTimeoutMs: wait.value,
    logFile: config.daemon.logFile,
    pidFile: config.daemon.pidFile,
    execPath: process.execPath,
    execArgv: process.execArgv,
    script: process.argv[1] ?? '',
    args: process.argv.slice(2),
    cwd,
    env: process.env,
  });
  if (r.ok && r.value.ready) {
    say(`sersync running in background: pid ${r.value.pid}, log ${config.daemon.logFile}`);
    return ExitCode.OK;
  }
  if (r.ok) {
    say(
      `sersync still starting in background after ${wait.value / 1000} s: pid ${r.value.pid}, see ${config.daemon.logFile} for "ready"`,
    );
    return ExitCode.OK;
  }
  complain(describeDaemonFailure(r.error));
  if (r.error.kind !== 'child-exited')
    return r.error.kind === 'spawn-failed' ? ExitCode.SOFTWARE : ExitCode.CANT_CREATE;
  if (r.error.logTail !== '')
    process.stderr.write(`--- last lines of ${config.daemon.logFile} ---\n${r.error.logTail}\n`);
  return r.error.code ?? ExitCode.SOFTWARE;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    complain(parsed.error.message);
    complain("try 'sersync -h' for the list of flags");
    return ExitCode.USAGE;
  }
  const options: CliOptions = parsed.value;
  if (options.help) {
    process.stdout.write(helpText());
    return ExitCode.OK;
  }
  if (options.version) {
    say(`sersync ${packageVersion()} (compatible with sersync 2.5.4)`);
    return ExitCode.OK;
  }
  const childCwd = daemonChildCwd(process.env);
  const cwd = childCwd ?? process.cwd();
  const config = await prepare(options, cwd);
  if (typeof config === 'number') return config;
  if (options.daemon && childCwd === undefined) return startInBackground(config, cwd);
  return runHere(config, options, childCwd !== undefined);
}

/**
 * Everything before the service starts: the config loaded and its locations checked, `--check`
 * and `--systemd-unit` answered (exit code), rsync found. The config to run, or the exit code.
 */
async function prepare(options: CliOptions, cwd: string): Promise<Config | ExitCode> {
  const file = options.configFile; // as the user wrote it: messages name it that way
  const loaded = await load(file, cwd, options.module);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  const refused = options.module === undefined ? refusedLocations(config, options.daemon) : [];
  for (const line of refused) complain(line);
  if (refused.length > 0) return ExitCode.CONFIG;
  if (options.check) {
    say(`${file}: OK (${loaded.warnings} warning(s))`);
    return ExitCode.OK;
  }
  if (options.systemdUnit) {
    process.stdout.write(unitForThisInstall(config, file, cwd));
    return ExitCode.OK;
  }
  if (options.module === undefined) {
    const rsync = await checkRsync({ command: process.env['SERSYNC_RSYNC'] ?? 'rsync' });
    if (!rsync.ok) {
      complain(rsync.error.message);
      return ExitCode.UNAVAILABLE;
    }
  }
  return config;
}

/** In this process (foreground, or the `-d` child): state dir and pid file held, logger open, daemon run. */
async function runHere(config: Config, options: CliOptions, inChild: boolean): Promise<number> {
  if (options.module === undefined) {
    const state = holdStateDir(config); // one instance per state directory (exit 73)
    if (!state.ok) {
      complain(state.error.message);
      return state.error.exitCode;
    }
  }
  if (inChild) {
    const pid = holdPidFile(config.daemon.pidFile);
    if (!pid.ok) {
      complain(describeDaemonFailure(pid.error));
      return ExitCode.CANT_CREATE;
    }
  }
  const logger = openLogger(config, options, inChild);
  if (logger === undefined) return ExitCode.CANT_CREATE;
  if (options.module === undefined) importLegacyState(config, logger); // after an upgrade
  return serve(config, options, logger, inChild);
}

/** Runs the daemon with SIGUSR1 (log reopen) and systemd notifications; closes the logger at the end. */
async function serve(
  config: Config,
  options: CliOptions,
  logger: ClosableLogger,
  inChild: boolean,
): Promise<number> {
  // Also in the foreground: without a listener, SIGUSR1 would open Node's inspector on 127.0.0.1.
  const onUsr1 = (): void => {
    if (logger.reopen()) logger.info(`SIGUSR1: reopened the log file ${config.daemon.logFile}`);
    else if (!inChild) logger.debug('SIGUSR1: logging to stdout, nothing to reopen');
  };
  process.on('SIGUSR1', onUsr1);
  const systemd = createSystemdNotifier(process.env, logger);
  try {
    const { runDaemon } = await import('./daemon.js');
    return await runDaemon({
      config,
      options,
      logger,
      onReady: () => {
        systemd.ready();
        if (inChild) notifyParentReady();
      },
      onStopping: () => {
        systemd.stopping();
      },
      onConfig: (next) => {
        logger.setSecretSource(configSecrets(next));
      },
    });
  } finally {
    systemd.close();
    process.off('SIGUSR1', onUsr1);
    await logger.close();
  }
}

/**
 * Foreground: lines to stdout. `-d` child: lines appended to `<daemon logFile>` through a logger
 * that owns the file, so SIGUSR1 can reopen it; the child's stdout/stderr (the same file, opened
 * by the parent) then only carry what is written before this point and stray output.
 */
function openLogger(
  config: Config,
  options: CliOptions,
  inChild: boolean,
): ClosableLogger | undefined {
  const base = {
    level: options.logLevel ?? (config.debug ? 'debug' : 'info'),
    ...(options.logFormat === undefined ? {} : { format: options.logFormat }),
    secrets: [],
    secretSource: configSecrets(config),
  } as const;
  if (!inChild) return createLogger(base);
  try {
    const logger = createLogger({ ...base, file: config.daemon.logFile });
    crashLog = config.daemon.logFile;
    return logger;
  } catch (e) {
    complain(
      `cannot write ${config.daemon.logFile}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

/** Last chance: a bug. One synchronous line with the stack, then exit 70 (the pid file goes on 'exit'). */
function internalError(e: unknown): void {
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  const text = `sersync: internal error (this is a bug, please report it):\n${detail}\n`;
  try {
    if (crashLog === undefined) process.stderr.write(text);
    else appendFileSync(crashLog, text); // the current log file, even after a rotation
  } catch {
    process.stderr.write(text);
  }
  process.exit(ExitCode.SOFTWARE);
}

/**
 * The process name init scripts and watchdogs look for (`pidof sersync2`, `pgrep -x sersync`,
 * `killall sersync2`): the name it was invoked as when that is sersync or sersync2, else
 * `sersync`. Node sets /proc/PID/comm (15 characters at most) and the cmdline from it.
 */
function processTitle(script: string | undefined): string {
  const name = basename(script ?? '');
  return name === 'sersync' || name === 'sersync2' ? name : 'sersync';
}

process.title = processTitle(process.argv[1]);
process.on('uncaughtException', internalError);
process.on('unhandledRejection', internalError);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, internalError);
