// A working directory for child_process.spawn whose name may hold raw (non-UTF-8) bytes. Node
// passes `cwd` as UTF-8 text, so a directory such as `/srv/fotos\xe9` is opened here and the child
// is started in /proc/<pid>/fd/<fd> (the child inherits the descriptor until exec, and chdir
// resolves the link to the very directory). Shell (file system).
import { closeSync, constants, openSync } from 'node:fs';
import { encodeName, hasRawBytes, type BytePath } from './byte-names.js';

/** The `cwd` to hand spawn, and what releases it once the child has started (or failed to). */
export interface SpawnCwd {
  readonly cwd: string;
  /** The open directory behind `cwd` when there is one (a spawner that can fchdir takes it). */
  readonly fd?: number;
  close(): void;
}

const NOTHING = (): void => undefined;

/** The spawn cwd of `dir`: `dir` itself when it is plain UTF-8. Throws the open's errno error. */
export function spawnCwd(dir: BytePath): SpawnCwd {
  if (!hasRawBytes(dir)) return { cwd: dir, close: NOTHING };
  const fd = openSync(encodeName(dir), constants.O_RDONLY | constants.O_DIRECTORY);
  let open = true;
  return {
    cwd: `/proc/${process.pid}/fd/${fd}`,
    fd,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
