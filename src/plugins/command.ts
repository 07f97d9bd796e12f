// The command plugin: per event runs the administrator's `prefix "$1" suffix` through /bin/sh,
// with the absolute path as the positional parameter $1, never as text in the script: prefix and
// suffix keep their shell meaning (`>> LOG`, pipes, variables) and a file name cannot inject
// commands. Optional include filter. Shell (child_process).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CommandPluginConfig } from '../config/types.js';
import { err, ok } from '../util/result.js';
import type { CallResult } from './plugin-queue.js';
import type { PluginEvent } from './plugin.js';

/** Bytes of the child's stderr kept for the failure log line. */
const STDERR_TAIL = 2_048;
/** The shell the script runs in (sersync 2.5.4 used system(), i.e. /bin/sh -c). */
export const COMMAND_SHELL = '/bin/sh';
/** $0 of the script (what `sh` reports in its own error messages). */
const SCRIPT_NAME = 'sersync';

/**
 * The script for `cfg`: `<prefix> "$1" <suffix>`, plus the original's `ignoreError` meaning
 * (` >/dev/null 2>&1`). Empty when prefix is empty (nothing to run). Pure.
 */
export function commandScript(cfg: CommandPluginConfig): string {
  if (cfg.prefix.length === 0) return '';
  const suffix = cfg.suffixRaw.trim() === '' ? '' : ` ${cfg.suffixRaw}`;
  return `${cfg.prefixRaw} "$1"${suffix}${cfg.ignoreError ? ' >/dev/null 2>&1' : ''}`;
}

/**
 * The argv for one event: `['/bin/sh', '-c', script, 'sersync', absPath]`, or undefined when the
 * include filter (enabled, full match on the absolute path) rejects the path or prefix is empty.
 * Pure.
 */
export function commandArgv(
  cfg: CommandPluginConfig,
  absPath: string,
): readonly string[] | undefined {
  const script = commandScript(cfg);
  if (script === '') return undefined;
  if (cfg.filterEnabled && !cfg.includes.some((r) => r.regex.test(absPath))) return undefined;
  return [COMMAND_SHELL, '-c', script, SCRIPT_NAME, absPath];
}

/**
 * Runs the command for one event, in the event's watch root. A non-zero exit or a signal is a
 * failure logged at `error` (ignoreError=false) or `debug` (ignoreError=true); a spawn error is
 * always an `error`. On abort (timeout, close) the child's whole process group is killed with
 * SIGKILL. The command's stdout is discarded unless the script redirects it.
 */
export function runCommand(
  cfg: CommandPluginConfig,
  ev: PluginEvent,
  signal: AbortSignal,
  debug: (m: string) => void,
): Promise<CallResult> {
  const argv = commandArgv(cfg, ev.absPath);
  const [file, ...args] = argv ?? [];
  if (file === undefined) return Promise.resolve(ok('skipped'));
  debug(`plugin command: run ${JSON.stringify(argv)}`);
  const failLevel = cfg.ignoreError ? 'debug' : 'error';
  return new Promise<CallResult>((resolve) => {
    let tail = '';
    // detached: the child leads its own process group, so a timeout also kills what it spawned.
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      // The watch root, as the rsync runs' `cd W`; `/` if it is gone (the command still runs).
      cwd: existsSync(ev.root) ? ev.root : '/',
      detached: true,
      shell: false,
    });
    const kill = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is already gone; make sure the leader is too
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      tail = (tail + d).slice(-STDERR_TAIL);
    });
    const what = `${JSON.stringify(cfg.prefixRaw)} for ${JSON.stringify(ev.absPath)}`;
    child.on('error', (e) => {
      signal.removeEventListener('abort', kill);
      resolve(err({ level: 'error', message: `cannot run ${what}: ${e.message}` }));
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', kill);
      if (code === 0) {
        resolve(ok('done'));
        return;
      }
      const how = sig !== null ? `killed by ${sig}` : `exited with ${String(code)}`;
      const stderr = tail.trim() === '' ? '' : `; stderr: ${JSON.stringify(tail.trim())}`;
      resolve(err({ level: failLevel, message: `${what} ${how}${stderr}` }));
    });
  });
}
