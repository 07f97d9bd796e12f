// A password file whose path has raw (non-UTF-8) bytes. rsync gets `--password-file=PATH` in its
// argv, and Node can only put UTF-8 text there, so such a file is reached through a symbolic link
// with an ASCII name in the private state directory (<stateDir>/auth/pw-<hash>), made at start and
// at every reload; rsync follows it and checks the real file's owner and mode as always.
// passwordFileArg is pure; preparePasswordAlias is the shell (file system) part.
import { createHash } from 'node:crypto';
import { closeSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { displayName, encodeName, fsPath, hasRawBytes } from '../util/byte-names.js';
import { err, ok, type Result } from '../util/result.js';
import { openPrivateDir, tempSibling } from '../util/safe-fs.js';

const aliasDir = (stateDir: string): string => `${stateDir}/auth`;

/** What rsync is given for `passwordFile`: the path itself, or its alias when it has raw bytes. Pure. */
export function passwordFileArg(passwordFile: string, stateDir: string): string {
  if (!hasRawBytes(passwordFile)) return passwordFile;
  const hash = createHash('sha256').update(encodeName(passwordFile)).digest('hex').slice(0, 16);
  return `${aliasDir(stateDir)}/pw-${hash}`;
}

/** The password file rsync reads for this config, or undefined (auth off, ssh mode, none). */
function passwordFileOf(config: Config): string | undefined {
  const r = config.sersync.rsync;
  return r.auth.enabled && !r.ssh.enabled && r.auth.passwordFile !== ''
    ? r.auth.passwordFile
    : undefined;
}

/**
 * Makes (or replaces) the alias link of a raw-byte password file; nothing to do for any other.
 * The directory is private (0700, ours, not a link), and the link is renamed into place.
 */
export function preparePasswordAlias(config: Config): Result<void, string> {
  const file = passwordFileOf(config);
  if (file === undefined || !hasRawBytes(file)) return ok(undefined);
  const stateDir = config.sersync.failLog.stateDir;
  const alias = passwordFileArg(file, stateDir);
  const why = `password file ${displayName(file)} (its alias ${displayName(alias)})`;
  if (hasRawBytes(stateDir))
    return err(`${why}: the state directory's own name has raw bytes; give it a UTF-8 name`);
  const dir = openPrivateDir(aliasDir(stateDir));
  if (!dir.ok) return err(`${why}: ${aliasDir(stateDir)} ${dir.error}`);
  closeSync(dir.value);
  const tmp = tempSibling(alias);
  try {
    symlinkSync(encodeName(file), fsPath(tmp));
    renameSync(tmp, alias);
    return ok(undefined);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never made
    }
    return err(`${why}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
