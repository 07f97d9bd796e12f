// Where the compiled worker entry lives, resolved in ONE place relative to this module (a wrong
// worker path is the classic piscina failure and only shows at run time). Shell (file URLs).
import { fileURLToPath } from 'node:url';

/**
 * `<outDir>/workers/rsync-worker.js`: this file compiles to `<outDir>/src/sync/paths.js`, and
 * tsconfig's `rootDir: "."` mirrors `workers/` next to `src/`. Checked by a unit test after build.
 */
export const RSYNC_WORKER_URL: URL = new URL('../../workers/rsync-worker.js', import.meta.url);

/** The same as a file-system path (what piscina's `filename` takes). */
export const RSYNC_WORKER_FILE: string = fileURLToPath(RSYNC_WORKER_URL);
