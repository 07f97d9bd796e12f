// The command plugin: runs `prefix… <absolute path> suffix…` per event as an argv (no shell, so a
// file name can never inject commands), with the optional include filter. Shell (child_process).
import { spawn } from 'node:child_process';
import type { CommandPluginConfig } from '../config/types.js';
import { err, ok } from '../util/result.js';
import type { CallResult } from './plugin-queue.js';
import type { PluginEvent } from './plugin.js';

/** Bytes of the child's stderr kept for the failure log line. */
const STDERR_TAIL = 2_048;

/**
 * The argv for one event: `[prefix[0], …prefix[1..], absPath, …suffix]`, or undefined when the
 * include filter (enabled, full match on the absolute path) rejects the path or prefix is empty.
 * Pure.
 */
export function commandArgv(
  cfg: CommandPluginConfig,
  absPath: string,
): readonly string[] | undefined {
  if (cfg.prefix.length === 0) return undefined;
  if (cfg.filterEnabled && !cfg.includes.some((r) => r.regex.test(absPath))) return undefined;
  return [...cfg.prefix, absPath, ...cfg.suffix];
}

/**
 * Runs the command for one event. A non-zero exit or a signal is a failure logged at `error`
 * (ignoreError=false) or `debug` (ignoreError=true); a spawn error (command missing, not
 * executable) is always an `error`. On abort (timeout, close) the child's whole process group is
 * killed with SIGKILL.
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
    const what = `${JSON.stringify(file)} for ${JSON.stringify(ev.absPath)}`;
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
