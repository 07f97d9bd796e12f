// Why a pipeline (or `-m` plugin mode) could not start: expected failures, as values, each with
// its own exit code (daemon-support.ts exitCodeFor, docs/exit-codes.md). Pure types.
import type { WatchStartFailure } from '../watch/create-watcher.js';

export type StartFailure =
  /** A watch root is missing, inotify cannot start, or the forced backend is not available. */
  | WatchStartFailure
  /** The state directory (journal) cannot be created, read or written. */
  | { readonly kind: 'state-dir'; readonly message: string };
