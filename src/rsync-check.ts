// Start-up check that rsync (>= 3.1) is installed: runs `rsync --version` (argv array, no shell)
// and judges the version. Shell around two pure helpers (parse + judge).
import { execFile } from 'node:child_process';
import { err, ok, type Result } from './util/result.js';

/** A parsed `rsync --version` banner. */
export interface RsyncVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** As printed, e.g. `3.2.7` or `3.1.0pre1`. */
  readonly text: string;
}

/** Why rsync cannot be used. `message` is one English paragraph that says how to fix it. */
export type RsyncCheckFailure =
  | { readonly kind: 'missing'; readonly command: string; readonly message: string }
  | { readonly kind: 'too-old'; readonly version: RsyncVersion; readonly message: string }
  | { readonly kind: 'unusable'; readonly command: string; readonly message: string };

/** Oldest rsync we drive: 3.1.0 added --delete-missing-args, which batched deletes rely on. */
export const MIN_RSYNC = { major: 3, minor: 1 } as const;

const INSTALL_HINT =
  'Install it with: apt-get install -y rsync (Debian/Ubuntu; dnf install -y rsync on RHEL/Fedora)';

/** Reads the version from `rsync  version 3.2.7  protocol version 31` (also `version v3.2.7`). Pure. */
export function parseRsyncVersion(output: string): RsyncVersion | undefined {
  const m = /^rsync\s+version\s+v?((\d+)\.(\d+)(?:\.(\d+))?\S*)/m.exec(output);
  if (!m) return undefined;
  return { text: m[1] ?? '', major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4] ?? '0') };
}

/** ok when `v` is at least MIN_RSYNC, else a `too-old` failure. Pure. */
export function judgeRsyncVersion(v: RsyncVersion): Result<RsyncVersion, RsyncCheckFailure> {
  const recent =
    v.major > MIN_RSYNC.major || (v.major === MIN_RSYNC.major && v.minor >= MIN_RSYNC.minor);
  if (recent) return ok(v);
  return err({
    kind: 'too-old',
    version: v,
    message: `rsync ${v.text} is too old: sersync needs rsync >= ${MIN_RSYNC.major}.${MIN_RSYNC.minor}. ${INSTALL_HINT}`,
  });
}

export interface CheckRsyncOptions {
  /** The rsync the daemon will run (a name looked up in PATH, or a path). Default `rsync`. */
  readonly command?: string;
  /** Environment for the lookup (PATH). Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Give up on a hanging `rsync --version` after this long. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs `<command> --version` and judges it. Never throws: a missing binary (ENOENT) is `missing`;
 * not executable, a non-zero exit, a timeout or an unreadable banner is `unusable`.
 */
export function checkRsync(
  opts: CheckRsyncOptions = {},
): Promise<Result<RsyncVersion, RsyncCheckFailure>> {
  const command = opts.command ?? 'rsync';
  return new Promise((resolve) => {
    execFile(
      command,
      ['--version'],
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 10_000, windowsHide: true },
      (error, stdout) => {
        if (error !== null) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            resolve(
              err({
                kind: 'missing',
                command,
                message: `rsync was not found (looked for "${command}" in PATH). sersync needs rsync >= ${MIN_RSYNC.major}.${MIN_RSYNC.minor} on this machine. ${INSTALL_HINT}`,
              }),
            );
          } else {
            resolve(
              err({
                kind: 'unusable',
                command,
                message: `"${command} --version" failed (${error.message.split('\n')[0] ?? ''}). sersync needs a working rsync >= ${MIN_RSYNC.major}.${MIN_RSYNC.minor}. ${INSTALL_HINT}`,
              }),
            );
          }
          return;
        }
        const v = parseRsyncVersion(stdout);
        if (v === undefined) {
          resolve(
            err({
              kind: 'unusable',
              command,
              message: `"${command} --version" printed no rsync version line. sersync needs rsync >= ${MIN_RSYNC.major}.${MIN_RSYNC.minor}. ${INSTALL_HINT}`,
            }),
          );
          return;
        }
        resolve(judgeRsyncVersion(v));
      },
    );
  });
}
