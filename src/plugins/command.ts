// The command plugin: per event runs the administrator's `prefix "$1" suffix` through /bin/sh,
// with the absolute path as the positional parameter $1, never as text in the script: prefix and
// suffix keep their shell meaning (`>> LOG`, pipes, variables) and a file name cannot inject
// commands. A name with raw (non-UTF-8) bytes, which an argv string cannot carry, travels as its
// octal escapes (`\374`) and a fixed first line of the script turns it back into "$1" with
// printf. Optional include filter. Shell (child_process).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CommandPluginConfig } from '../config/types.js';
import { spawnCwd, type SpawnCwd } from '../util/byte-cwd.js';
import { displayName, encodeName, fsPath, hasRawBytes, type BytePath } from '../util/byte-names.js';
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
 * Every byte of `name` as a printf format escape (`\ooo`, three octal digits): text made of
 * backslashes and digits only, which an argv string carries as it is, and which `printf "$1"`
 * (dash, bash, busybox) turns back into exactly those bytes. Pure.
 */
export function octalEscape(name: BytePath): string {
  let out = '';
  for (const byte of encodeName(name)) out += `\\${byte.toString(8).padStart(3, '0')}`;
  return out;
}

/**
 * The fixed lines that replace "$1" (octal escapes) by the bytes they stand for. Command
 * substitution strips trailing newlines, so a sentinel `x` is printed after the name and cut off.
 * The name is an argument of printf, never text of the script.
 */
export const DECODE_ARG = 'set -- "$(printf "$1"x)"\nset -- "${1%x}"\n';

/**
 * The argv for one event: `['/bin/sh', '-c', script, 'sersync', absPath]`, or undefined when the
 * include filter (enabled, full match on the absolute path) rejects the path or prefix is empty.
 * A path with raw bytes goes as `octalEscape(absPath)` behind a script that starts with
 * DECODE_ARG, so the command's "$1" holds the raw bytes all the same. Pure.
 */
export function commandArgv(
  cfg: CommandPluginConfig,
  absPath: BytePath,
): readonly string[] | undefined {
  const script = commandScript(cfg);
  if (script === '') return undefined;
  if (cfg.filterEnabled && !cfg.includes.some((r) => r.regex.test(absPath))) return undefined;
  if (hasRawBytes(absPath))
    return [COMMAND_SHELL, '-c', DECODE_ARG + script, SCRIPT_NAME, octalEscape(absPath)];
  return [COMMAND_SHELL, '-c', script, SCRIPT_NAME, absPath];
}

/** The watch root as the child's cwd (`/` if it is gone or cannot be opened: the command still runs). */
function rootCwd(root: BytePath): SpawnCwd {
  try {
    if (existsSync(fsPath(root))) return spawnCwd(root);
  } catch {
    // vanished between the check and the open, or unreadable
  }
  return spawnCwd('/');
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
  debug(`plugin command: run ${JSON.stringify(commandScript(cfg))} for ${displayName(ev.absPath)}`);
  const failLevel = cfg.ignoreError ? 'debug' : 'error';
  return new Promise<CallResult>((resolve) => {
    let tail = '';
    // The watch root, as the rsync runs' `cd W` (a name with raw bytes via /proc/<pid>/fd/<fd>).
    const cwd = rootCwd(ev.root);
    // detached: the child leads its own process group, so a timeout also kills what it spawned.
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: cwd.cwd,
      detached: true,
      shell: false,
    });
    // The child changed into the directory before exec (or failed to start): release it.
    const release = (): void => {
      cwd.close();
    };
    child.once('spawn', release);
    child.once('error', release);
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
    const what = `${JSON.stringify(cfg.prefixRaw)} for ${displayName(ev.absPath)}`;
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
