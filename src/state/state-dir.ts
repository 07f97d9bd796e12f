// The state directory of this process: its location checked (not below a world-writable
// directory), created private (0700, ours, never through a link) and locked for one instance.
// Called once by the CLI before the daemon starts; the journal and the ran-before marker then
// live in it (docs/security.md, docs/reliability.md). Shell.
import { closeSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { ExitCode } from '../exit-codes.js';
import { openPrivateDir, unsafeLocation } from '../util/safe-fs.js';
import { err, ok, type Result } from '../util/result.js';
import { lockStateDir, type StateLock } from './lock.js';

export interface StateDirFailure {
  /** 78: a location refused (fix the config); 73: the directory is unusable or held by another instance. */
  readonly exitCode: typeof ExitCode.CONFIG | typeof ExitCode.CANT_CREATE;
  readonly message: string;
}

/** Locks taken by this process, by directory (a SIGHUP reload keeps them). */
const held = new Map<string, StateLock>();

/**
 * Why the config's state directory (and with `daemon`, its pid and log files) would sit where
 * another local user can plant links, one message per refused path; empty when all are safe.
 */
export function refusedLocations(config: Config, daemon: boolean): string[] {
  const paths: [string, string][] = [['<failLog stateDir>', config.sersync.failLog.stateDir]];
  if (daemon) {
    paths.push(['<daemon pidFile>', config.daemon.pidFile]);
    paths.push(['<daemon logFile>', config.daemon.logFile]);
  }
  return paths.flatMap(([what, path]) => {
    const why = unsafeLocation(path);
    return why === undefined
      ? []
      : [
          `${config.file}: ${what} ${path} refused: ${why}; choose a directory only this user can write, or remove the attribute to use the default`,
        ];
  });
}

/** Checks, creates and locks `config.sersync.failLog.stateDir` (idempotent per directory). */
export function holdStateDir(config: Config): Result<StateLock, StateDirFailure> {
  const dir = config.sersync.failLog.stateDir;
  const already = held.get(dir);
  if (already !== undefined) return ok(already);
  const refused = refusedLocations(config, false);
  if (refused.length > 0) return err({ exitCode: ExitCode.CONFIG, message: refused.join('\n') });
  const opened = openPrivateDir(dir);
  if (!opened.ok)
    return err({
      exitCode: ExitCode.CANT_CREATE,
      message: `state directory ${dir} ${opened.error}`,
    });
  const lock = lockStateDir(dir, opened.value); // the descriptor stays open: it holds the flock
  if (!lock.ok) {
    closeSync(opened.value);
    const f = lock.error;
    const message =
      f.kind === 'held-elsewhere'
        ? `another sersync${f.pid === undefined ? '' : ` (pid ${f.pid})`} already uses the state directory ${dir}; stop it first, or give this config its own <failLog stateDir>`
        : `cannot lock the state directory ${dir}: ${f.message}`;
    return err({ exitCode: ExitCode.CANT_CREATE, message });
  }
  held.set(dir, lock.value);
  return ok(lock.value);
}
