// Pins a directory below a watch root for one rsync run: opened component by component with
// O_NOFOLLOW|O_DIRECTORY (an openat walk through /proc/self/fd), so no symbolic link below the
// root is ever followed, and handed to rsync as the magic link /proc/<pid>/fd/<fd>, which names
// the directory that was checked even if the path is swapped afterwards. Names are bytes: each
// component is opened by its raw bytes (fsPath). Linux. Shell (fs).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { fsPath, type BytePath } from '../util/byte-names.js';
import { err, ok, type Result } from '../util/result.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** A directory held open for a run; `path` is valid until `close()`. */
export interface PinnedDir {
  /** `/proc/<pid>/fd/<fd>`: the opened directory itself, whatever its path now points to. */
  readonly path: string;
  close(): Promise<void>;
}

async function openDir(path: string | Buffer, flags: number): Promise<Result<FileHandle, string>> {
  try {
    return ok(await open(path, flags));
  } catch (e) {
    return err((e as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
  }
}

/**
 * Opens `root/rel` when every component of `rel` is a real directory (not a symbolic link).
 * The root itself is the administrator's and may be a link. The failure is the errno code:
 * ELOOP (a component is a link), ENOTDIR (not a directory), ENOENT (gone), or any other.
 */
export async function pinRealDir(
  root: BytePath,
  rel: BytePath,
): Promise<Result<PinnedDir, string>> {
  const first = await openDir(fsPath(root), O_RDONLY | O_DIRECTORY);
  if (!first.ok) return first;
  let h = first.value;
  for (const seg of rel.split('/')) {
    // The magic link is followed as a directory component; O_NOFOLLOW guards `seg` itself.
    const next = await openDir(
      fsPath(`/proc/self/fd/${h.fd}/${seg}`),
      O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
    );
    await h.close();
    if (!next.ok) return next;
    h = next.value;
  }
  const held = h;
  return ok({ path: `/proc/${process.pid}/fd/${held.fd}`, close: () => held.close() });
}
