// rsync argv as data: the constant part of a (root, remote) pair is computed once (lsyncd
// `_computed`), the per-run part is appended. Never a shell string. Pure.
//
// Forms (docs/architecture.md "How a batch becomes one rsync run"):
//   batch:  P -R [-r] --from0 --files-from=- DEL --out-format=%o %l %n T -- ./ DEST  (paths on stdin)
//   full:   P -R -r [--delete [--max-delete=N]] --out-format=%o %l %n T [--exclude=G]... -- ./ DEST
//   replay: P -R -r DEL T -- ./p1 ./p2 ... DEST                                    (fail-log, run by hand)
//   rename: P -r [--delete] --link-dest=REL|--copy-dest=REL --out-format=%o %l %n T -- PIN/ DEST/to/
//           (REL = the old directory relative to the new one: files the target holds under the old
//           name are linked or copied there by the receiver, not sent; docs/queue.md "Renames";
//           PIN = /proc/<pid>/fd/<fd> of `to` opened without following a link, sync/pin-dir.ts)
// where P = commonParams, DEL = --delete-missing-args --delete (inotify delete on) or
// --ignore-missing-args (off), T = transport (-e ssh, --port, --timeout, --password-file).
import { posix } from 'node:path';
import type { Config } from '../config/types.js';
import { passwordFileArg } from './password-alias.js';

/** The part of every rsync command that only depends on the config, the root and the remote. */
export interface PreparedRemote {
  /** Watch root (absolute); rsync runs with this cwd and the source `./`. */
  readonly root: string;
  readonly remoteIndex: number;
  /** `[user@]ip::module` (daemon) or `[user@]ip:path` (ssh). Also the label used in logs. */
  readonly destination: string;
  /** commonParams, as configured. */
  readonly common: readonly string[];
  /** Transport options: `-e ssh`, `--port=N`, `--timeout=N`, `--password-file=F`. */
  readonly transport: readonly string[];
  /** `<inotify><delete start="true">`: deletions are propagated. */
  readonly deleteOn: boolean;
  /**
   * Silence limit of the worker's watchdog, in ms; 0 = none. Set only when `<timeout start="true">`:
   * silenceLimitMs(N). A run is killed only after this long with no bytes on rsync's stdout/stderr
   * and no change of its I/O counters (sync/watchdog.ts), never for its length (rsync's own `--timeout=N` ends a stalled transfer first).
   */
  readonly killAfterMs: number;
}

/** The watchdog's silence limit for `<timeout time="N">`: max(10 x N s, 10 min). */
export function silenceLimitMs(seconds: number): number {
  return Math.max(10 * seconds, 600) * 1000;
}

/**
 * The per-item result format parsed by the worker (`send 1234 a/b`, `del. 0 a/c`): operation, file
 * length (the bytes metric and the `-r` progress report), name. Every form that reports uses it.
 */
export const OUT_FORMAT = '--out-format=%o %l %n';

/**
 * Computes the constant part for remote `remoteIndex` of the localpath `root`.
 * Throws (a bug in the caller) when the root or remote does not exist in the config.
 *
 * ssh mode: `-e ssh`, unless commonParams already chooses the remote shell (`-e 'ssh -p 2222'`,
 * `--rsh=…`): that is where the ssh port goes. `<userDefinedPort>` is for rsync daemons only and
 * is ignored over ssh, as in sersync 2.5.4 (whose `--port=N` rsync ignored; `--check` warns).
 * Auth users become the ssh login (`user@ip:path`) and no `--password-file` is passed, because
 * rsync rejects it with exit 1 for a remote shell.
 */
export function prepareRemote(config: Config, root: string, remoteIndex: number): PreparedRemote {
  const lp = config.sersync.localpaths.find((l) => l.watch === root);
  const remote = lp?.remotes[remoteIndex];
  if (lp === undefined || remote === undefined) {
    throw new Error(
      `Internal error: no remote #${remoteIndex} for watch root ${JSON.stringify(root)}`,
    );
  }
  const r = config.sersync.rsync;
  const user = r.auth.enabled && r.auth.users !== '' ? `${r.auth.users}@` : '';
  const transport: string[] = [];
  let destination: string;
  if (r.ssh.enabled) {
    if (!choosesRemoteShell(r.commonParams)) transport.push('-e', 'ssh');
    if (r.timeout.enabled) transport.push(`--timeout=${r.timeout.seconds}`);
    destination = `${user}${remote.ip}:${remote.name}`;
  } else {
    if (r.userDefinedPort.enabled) transport.push(`--port=${r.userDefinedPort.port}`);
    if (!setsSockopts(r.commonParams)) transport.push(NO_DELAY);
    if (r.timeout.enabled) transport.push(`--timeout=${r.timeout.seconds}`);
    if (r.auth.enabled)
      transport.push(
        `--password-file=${passwordFileArg(r.auth.passwordFile, config.sersync.failLog.stateDir)}`,
      );
    destination = `${user}${remote.ip}::${remote.name}`;
  }
  return {
    root,
    remoteIndex,
    destination,
    common: [...r.commonParams],
    transport,
    deleteOn: config.inotify.delete,
    killAfterMs: r.timeout.enabled ? silenceLimitMs(r.timeout.seconds) : 0,
  };
}

/** rsync short options that take a value (popt): in a cluster such as `-avzB1024` the rest is it. */
const SHORT_WITH_VALUE = new Set(['B', 'e', 'f', 'M', 'T', '@']);

/**
 * Turns off Nagle's algorithm on the daemon connection: without it every run to an rsync daemon
 * stalls on delayed ACKs (~40 ms each at the protocol's small exchanges; one small file took
 * 175 ms with `-artuz`, 45 ms with this, rsync 3.5 on loopback). A client-side socket option
 * (rsync >= 2.6), not sent to the daemon. docs/performance.md "The daemon connection".
 */
export const NO_DELAY = '--sockopts=TCP_NODELAY';

/** True when the rsync options `words` bring their own `--sockopts` (then theirs is used). Pure. */
export const setsSockopts = (words: readonly string[]): boolean =>
  words.some((w) => w === '--sockopts' || w.startsWith('--sockopts='));

/**
 * True when the rsync options `words` set the remote shell: `-e CMD`, `-eCMD`, a cluster ending
 * in it (`-avze CMD`), `--rsh=CMD` or `--rsh CMD` (rsync uses the last one given). Pure.
 */
export function choosesRemoteShell(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--') return false;
    if (w === '--rsh' || w.startsWith('--rsh=')) return true;
    if (w.startsWith('--')) {
      if (LONG_WITH_VALUE.has(w.slice(2))) i++; // `--exclude -e`: the next word is its value
      continue;
    }
    if (!w.startsWith('-')) continue;
    for (let j = 1; j < w.length; j++) {
      const c = w.charAt(j);
      if (c === 'e') return true;
      if (SHORT_WITH_VALUE.has(c)) {
        if (j === w.length - 1) i++; // `-f RULE`: the value is the next word
        break;
      }
    }
  }
  return false;
}

/** rsync long options whose value may follow as the next word (`--exclude PATTERN`). */
const LONG_WITH_VALUE = new Set(
  [
    'exclude include filter exclude-from include-from files-from password-file port timeout',
    'contimeout bwlimit temp-dir partial-dir backup-dir suffix chmod chown usermap groupmap',
    'compress-level compress-choice checksum-choice block-size max-size min-size max-delete',
    'log-file log-file-format out-format rsync-path remote-option sockopts link-dest copy-dest',
    'compare-dest modify-window skip-compress info debug iconv address outbuf',
  ]
    .join(' ')
    .split(' '),
);

function deleteArgs(p: PreparedRemote): string[] {
  // A listed path missing at the source becomes a deletion at the target; --delete also removes
  // non-empty directories and extraneous files inside listed directories. With delete off, a
  // missing path is simply skipped (it is not an error: exit 0, not 23).
  return p.deleteOn ? ['--delete-missing-args', '--delete'] : ['--ignore-missing-args'];
}

/**
 * argv for one batch; the paths go NUL-separated on stdin. `hasDirs` adds `-r`: `--files-from`
 * switches off the `-r` inside `-a`, so a listed directory would otherwise be created empty.
 */
export function batchArgv(p: PreparedRemote, hasDirs: boolean): string[] {
  return [
    ...p.common,
    '-R',
    ...(hasDirs ? ['-r'] : []),
    '--from0',
    '--files-from=-',
    ...deleteArgs(p),
    OUT_FORMAT,
    ...p.transport,
    '--',
    './',
    p.destination,
  ];
}

/** Options of a full sync. */
export interface FullSyncOptions {
  /** `<crontabfilter>` rsync glob patterns, each passed as `--exclude=PATTERN` (sersync `AddExclude`). */
  readonly crontabExcludes?: readonly string[];
  /** `--max-delete=N` (the root guard's share, docs/reliability.md); only with `--delete`. */
  readonly maxDelete?: number;
}

/** argv pushing the whole root (`-r`, crontab); `--delete` only when delete monitoring is on. */
export function fullSyncArgv(p: PreparedRemote, opts: FullSyncOptions = {}): string[] {
  return [
    ...p.common,
    '-R',
    '-r',
    ...(p.deleteOn ? ['--delete'] : []),
    ...(p.deleteOn && opts.maxDelete !== undefined ? [`--max-delete=${opts.maxDelete}`] : []),
    OUT_FORMAT,
    ...p.transport,
    ...(opts.crontabExcludes ?? []).map((g) => `--exclude=${g}`),
    '--',
    './',
    p.destination,
  ];
}

/**
 * argv re-doing a batch with the paths as arguments (for the fail log, which an operator may
 * run by hand without stdin). `./` keeps each path relative for `-R` and protects a leading `-`.
 */
export function replayArgv(p: PreparedRemote, paths: readonly string[]): string[] {
  return [
    ...p.common,
    '-R',
    '-r',
    ...deleteArgs(p),
    ...p.transport,
    '--',
    ...paths.map((x) => `./${x}`),
    p.destination,
  ];
}

/**
 * The NUL-separated path list written to rsync's stdin (each path terminated by NUL), every
 * path as `./path`: rsync skips `--files-from` entries starting with `#` or `;` as comments,
 * even with `--from0` (seen with rsync 3.5: a file named `#hash` was never sent).
 */
export function pathListBytes(paths: readonly string[]): string {
  return paths.map((x) => `./${x}\0`).join('');
}

/** NUL-terminated rsync filter rules (for an `--exclude-from` file read with `--from0`). */
export function patternListBytes(patterns: readonly string[]): string {
  return patterns.map((x) => `${x}\0`).join('');
}

/**
 * An rsync filter pattern matching exactly `rel` (relative to the transfer root): anchored with
 * `/`, and when the name holds a wildcard (`*?[`) every `*?[\` is backslash-escaped (rsync only
 * treats `\` as an escape when the pattern has a wildcard, so otherwise it stays literal).
 */
export function literalPattern(rel: string): string {
  const escaped = /[*?[]/.test(rel) ? rel.replace(/[*?[\\]/g, (c) => `\\${c}`) : rel;
  return `/${escaped}`;
}

/**
 * How the receiver reuses the old directory's files for a rename: hard links (`--link-dest`, no
 * data copied, but both names share inodes until one is rewritten) or local copies (`--copy-dest`).
 */
export type RenameBasis = 'link' | 'copy';

/**
 * argv syncing the directory `to` (recursively, `--delete` when delete is on) into `DEST/to/`,
 * with the target's copy of the directory `from` as basis: unchanged files are hard-linked
 * (`link`) or copied (`copy`) from it by the receiver, changed ones are sent as deltas against
 * it. A relative basis is resolved by rsync from the destination directory, hence `../old`.
 * No `-R`, no stdin list. Only for names `isRenameSafePath` accepts. `source` is what rsync reads
 * as the directory's contents: the runner passes the pinned directory (`/proc/<pid>/fd/<fd>/`,
 * sync/pin-dir.ts), never a path rsync would resolve through a link planted at `to`.
 */
export function renameArgv(
  p: PreparedRemote,
  from: string,
  to: string,
  basis: RenameBasis = 'copy',
  source = `./${to}/`,
): string[] {
  const rel = posix.relative(`/${to}`, `/${from}`);
  return [
    ...p.common,
    '-r',
    ...(p.deleteOn ? ['--delete'] : []),
    `--${basis}-dest=${rel}`,
    OUT_FORMAT,
    ...p.transport,
    '--',
    source,
    `${p.destination}/${to}/`,
  ];
}

/**
 * Whether `rel` may appear in a rename argv: the paths go on the command line (and, for ssh or an
 * rsync older than 3.2.4 without protected args, through the remote side's word splitting and
 * globbing), so only names without whitespace, quotes, shell or glob characters (non-ASCII is
 * fine), no `.`/`..` segments. Anything else takes the plain batch path.
 */
export function isRenameSafePath(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.endsWith('/')) return false;
  if (!/^[A-Za-z0-9._+,@%=~/\u0080-\uffff-]+$/.test(rel)) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
