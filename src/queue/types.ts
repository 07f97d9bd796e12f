// Contracts between the watcher side (events -> changes), the merge queue and the sync side.
// Pure types.

/** What rsync must make true at the target for one path. */
export type Op = 'upsert' | 'remove';

/** One normalised change, after the `<inotify>` switches and `<filter>` excludes were applied. */
export interface Change {
  /** Watch root (absolute). */
  readonly root: string;
  /** Relative to root, '/'-separated, never empty. */
  readonly path: string;
  readonly op: Op;
  /** True for a directory (a directory upsert is synced recursively). */
  readonly isDir: boolean;
  /**
   * Optional (added by the queue part): true when the change comes from a kernel create of this
   * path, i.e. it did not exist just before. Lets the queue drop a file created and deleted inside
   * the quiet window (see docs/queue.md). Absent means unknown.
   */
  readonly created?: boolean;
  /**
   * Optional hint (directory upserts only): this directory was just renamed from `renamedFrom`
   * (same root; the filter pairs a moveFrom/moveTo by cookie). The sync side may then build the
   * target copy from the old one instead of re-sending file data (docs/queue.md "Renames").
   * Dropping it is always safe: the plain recursive sync gives the same target tree.
   */
  readonly renamedFrom?: string;
  /**
   * Optional: the change is a close_write, so the writer is done with the file and there is nothing
   * to coalesce beyond what follows within microseconds (a temp file's rename, an unlink): the path
   * waits only `closedQuietMs`, not the whole quiet window (docs/queue.md "Timing").
   */
  readonly closed?: boolean;
}

/** A sync target: one root pushed to one remote. Every target progresses independently. */
export interface Target {
  /** Stable key, e.g. `${root}\u0000${remoteIndex}`. */
  readonly key: string;
  readonly root: string;
  /** Index into the root's LocalPath.remotes. */
  readonly remoteIndex: number;
}

/** One queued path of one target, as handed to the sync side. */
export interface Entry {
  readonly path: string;
  readonly op: Op;
  readonly isDir: boolean;
  /** How many times this path already failed (0 on the first try); drives the backoff. */
  readonly attempts: number;
  /** See `Change.renamedFrom` (kept through merging only while it is certainly still true). */
  readonly renamedFrom?: string;
}

/**
 * Entries of one target that leave together (the queue's inner form: pending.ts and shard.ts
 * model the whole root as the path '', the ancestor of every path; the scheduler turns a group
 * holding it into a `full` Batch).
 */
export interface EntryGroup {
  readonly target: Target;
  readonly entries: readonly Entry[];
}

/**
 * A batch for one target: the sync side turns it into one rsync run. `paths`: the listed entries
 * (they never overlap); `full`: the whole root (`-r`, catch-up, crontab, a watcher rescan).
 */
export type Batch =
  | { readonly kind: 'paths'; readonly target: Target; readonly entries: readonly Entry[] }
  | { readonly kind: 'full'; readonly target: Target; readonly attempts: number };

/** A batch of listed paths. */
export type PathBatch = Extract<Batch, { readonly kind: 'paths' }>;

/** What one sync run did, measured once where it ran (the worker) and carried back unchanged. */
export interface RunFacts {
  /** Wall time of the run(s), ms. */
  readonly durationMs: number;
  /** Items rsync reported (sent, received, deleted; directories included). */
  readonly items: number;
  /** Sizes (`%l`) of the files rsync sent. */
  readonly bytes: number;
  /** When the worker got the run, called spawn, had the child, and saw it close (one run only). */
  readonly stamps?: RunStamps;
}

/** Epoch ms (performance.timeOrigin + performance.now(): comparable across threads) of a run's stages. */
export interface RunStamps {
  readonly taskAt: number;
  readonly spawnAt: number;
  readonly spawnedAt: number;
  readonly closedAt: number;
}

/**
 * What the sync side reports back for a batch.
 * - `ok`: every entry reached the target; `warning`: rsync exited 23/24 naming only paths outside
 *   the batch ("." or an implied parent directory it could not set the attributes of).
 * - `partial`: the listed paths failed (retry them), the rest reached the target.
 * - `failed`: nothing can be assumed; retry every entry.
 * `run`: the facts of the rsync run behind it (absent when no rsync ran). `errorLine`: the line
 * the sync side read that says what went wrong (rsync's stderr), for /status and /healthz.
 */
export type BatchOutcome = (
  | { readonly kind: 'ok'; readonly warning?: string }
  | {
      readonly kind: 'partial';
      readonly failedPaths: readonly string[];
      readonly errorLine?: string;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly errorLine?: string }
) & { readonly run?: RunFacts };
