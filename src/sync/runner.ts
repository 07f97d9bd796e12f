// The glue the daemon uses: Batch -> SyncJob -> pool -> RunResult -> log lines, fail log and a
// BatchOutcome for the scheduler; plus the full-root push for `-r`, crontab and rescans. Shell.
//
//   batch ─▶ job (argv, NUL list, exclude walk) ─▶ pool.run ─▶ classify
//     ok      ─▶ resolve paths in the fail log            ─▶ {kind:'ok'}
//     partial ─▶ record named paths (all if none named)    ─▶ {kind:'partial', failedPaths}
//     retry / fatal / pool error ─▶ record every path      ─▶ {kind:'failed', reason}
//   A renamed directory whose old path is removed by the same batch first gets its own run with
//   the target's old copy as basis (renameArgv); if that run succeeds it leaves the batch, else the
//   batch syncs it the plain way. The old path is deleted by the batch run, so always afterwards.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { coveringEntries } from '../queue/outcome.js';
import type { BatchOutcome, Entry, PathBatch, RunFacts, Target } from '../queue/types.js';
import type { FailLogSink } from '../retry/fail-log-file.js';
import { renderCommand, type FailLogCommand } from '../retry/fail-log.js';
import {
  batchArgv,
  fullSyncArgv,
  isRenameSafePath,
  prepareRemote,
  renameArgv,
  replayArgv,
  type FullSyncOptions,
  type PreparedRemote,
  type RenameBasis,
} from './argv.js';
import { classify, describeOutcome, waitStatus } from './exit-policy.js';
import type { RunOptions, SyncPool } from './pool.js';
import type { ExcludeWalk, RunResult, SyncJob } from './protocol.js';
import { unreachable } from '../util/unreachable.js';
import { plural } from '../util/plural.js';

export interface BatchRunnerDeps {
  readonly config: Config;
  readonly pool: Pick<SyncPool, 'run'>;
  readonly logger: Logger;
  readonly failLog: FailLogSink;
  /** The rsync executable ("rsync", or a stub in tests). */
  readonly rsyncPath: string;
  /** The prepared remote of (root, remote); default: prepareRemote(config, …), once per target. */
  readonly prepare?: (root: string, remoteIndex: number) => PreparedRemote;
}

/** Runs one batch of paths (a full sync goes through `runFullSync`); never rejects for an rsync or pool failure (those are outcomes). */
export type BatchRunner = ((batch: PathBatch) => Promise<BatchOutcome>) & {
  /**
   * Pushes the whole root to one remote (`-r`, crontab, watcher rescans): `--delete` when delete
   * is on, `<crontabfilter>` globs as `--exclude`, and the `<filter>` regexes applied by walking
   * the root. Failures are logged and returned, not written to the fail log (a full sync is
   * re-done as a whole, by its caller).
   */
  readonly runFullSync: (
    root: string,
    remoteIndex: number,
    opts?: FullSyncRunOptions,
  ) => Promise<BatchOutcome>;
  /** The fail-log command re-doing `paths` of `target` (for createFailLogFile's `commandFor`). */
  readonly commandFor: (target: Target, paths: readonly string[]) => FailLogCommand;
};

/** Log text for a batch: the count and the first paths (JSON-quoted: a newline in a name cannot forge a log line). */
export function describePaths(entries: readonly Entry[], shown = 5): string {
  const list = entries
    .slice(0, shown)
    .map((e) => `${e.op === 'remove' ? '-' : '+'}${JSON.stringify(e.path)}`)
    .join(' ');
  const more = entries.length > shown ? ` +${entries.length - shown} more` : '';
  return ` [${list}${more}]`;
}

/** Options of one full sync: the argv options plus an optional progress callback (`-r`). */
export interface FullSyncRunOptions extends FullSyncOptions, RunOptions {}

/**
 * The renamed directories of a batch that get a dedicated rename run first: directory upserts with
 * `renamedFrom` whose old path the same batch removes (so nothing else syncs the old path while the
 * rename run reads it, and it is deleted only after), both names rename-safe. None when `<filter>`
 * excludes are on (the rename run would not apply them).
 */
export function renameCandidates(
  entries: readonly Entry[],
  hasExcludes: boolean,
): (Entry & { readonly renamedFrom: string })[] {
  if (hasExcludes) return [];
  const removed = new Set(entries.filter((e) => e.op === 'remove').map((e) => e.path));
  return entries.filter(
    (e): e is Entry & { readonly renamedFrom: string } =>
      e.op === 'upsert' &&
      e.isDir &&
      e.renamedFrom !== undefined &&
      removed.has(e.renamedFrom) &&
      isRenameSafePath(e.path) &&
      isRenameSafePath(e.renamedFrom),
  );
}

/**
 * Hard links only when the target's old copy is about to be deleted (delete on, and the old path
 * no longer exists at the source); otherwise the two copies must not share inodes (rsync applies
 * attribute changes, and `--inplace` writes, to the existing inode), so the receiver copies.
 */
export function renameBasis(deleteOn: boolean, oldExistsAtSource: boolean): RenameBasis {
  return deleteOn && !oldExistsAtSource ? 'link' : 'copy';
}

/** Builds the runner. Each (root, remote) argv prefix is computed once, on first use. */
export function createBatchRunner(deps: BatchRunnerDeps): BatchRunner {
  const { config, pool, logger, failLog, rsyncPath } = deps;
  const prep = deps.prepare ?? cachedPrepare(config);
  let nextId = 1;
  const rules = config.filter.enabled ? config.filter.excludes : [];
  const excludeWalk = (dirs: readonly string[]): { excludeWalk?: ExcludeWalk } =>
    rules.length > 0 && dirs.length > 0
      ? { excludeWalk: { dirs, rules, statWalk: config.xfs } }
      : {};

  /** Runs a job; a pool rejection (closed pool, worker bug) becomes a value with its reason. */
  const execute = async (
    p: PreparedRemote,
    job: SyncJob,
    what: string,
    detail = '',
    runOpts?: RunOptions,
  ): Promise<RunResult | { error: string }> => {
    // <debug start="true"> shows every command (like the original); otherwise only at debug level.
    const argvLine = `rsync argv: ${renderCommand({ cwd: job.cwd, argv: [rsyncPath, ...job.argv] })}`;
    if (config.debug) logger.info(argvLine);
    else logger.debug(argvLine);
    let r: RunResult;
    try {
      r = await (runOpts === undefined ? pool.run(job) : pool.run(job, runOpts));
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      logger.error(`rsync -> ${p.destination}: ${what}, not run: ${error}${detail}`);
      return { error };
    }
    const verdict = classify(r.outcome);
    const line = `rsync -> ${p.destination}: ${what}, ${describeOutcome(r.outcome)}, ${r.durationMs} ms${detail}`;
    if (verdict.verdict === 'ok') logger.info(line);
    else if (verdict.verdict === 'fatal') logger.error(`${line} (${verdict.meaning})`);
    else logger.warn(`${line} (${verdict.meaning})`);
    for (const l of r.stderrTail.split('\n'))
      if (l.trim() !== '') logger.warn(`rsync stderr (${p.destination}): ${l}`);
    return r;
  };

  /** Runs the rename runs of `candidates` one after the other; returns the paths they synced. */
  const runRenames = async (
    target: Target,
    p: PreparedRemote,
    candidates: readonly (Entry & { readonly renamedFrom: string })[],
    facts: RunFacts[],
  ): Promise<Set<string>> => {
    const done = new Set<string>();
    for (const e of candidates) {
      const basis = renameBasis(p.deleteOn, existsSync(join(target.root, e.renamedFrom)));
      const job: SyncJob = {
        kind: 'rename',
        id: nextId++,
        rsyncPath,
        argv: renameArgv(p, e.renamedFrom, e.path, basis),
        cwd: target.root,
        paths: [],
        timeoutMs: p.killAfterMs,
      };
      const what = `rename ${JSON.stringify(e.renamedFrom)} -> ${JSON.stringify(e.path)} (${basis})`;
      const r = await execute(p, job, what);
      if (!('error' in r)) facts.push(factsOf(r));
      if (!('error' in r) && classify(r.outcome).verdict === 'ok') done.add(e.path);
      else
        logger.info(
          `rsync -> ${p.destination}: ${JSON.stringify(e.path)} is synced the plain way after its rename run failed`,
        );
    }
    return done;
  };

  const run = async (batch: PathBatch): Promise<BatchOutcome> => {
    const { target } = batch;
    const p = prep(target.root, target.remoteIndex);
    if (batch.entries.length === 0) return { kind: 'ok' };
    const facts: RunFacts[] = [];
    const renamed = await runRenames(
      target,
      p,
      renameCandidates(batch.entries, rules.length > 0),
      facts,
    );
    const entries =
      renamed.size === 0 ? batch.entries : batch.entries.filter((e) => !renamed.has(e.path));
    if (renamed.size > 0) failLog.resolve(target, [...renamed]);
    const paths = entries.map((e) => e.path);
    if (paths.length === 0) return withFacts({ kind: 'ok' }, facts);
    const walkDirs = entries.filter((e) => e.isDir && e.op === 'upsert').map((e) => e.path);
    const job: SyncJob = {
      kind: 'paths',
      id: nextId++,
      rsyncPath,
      argv: batchArgv(
        p,
        entries.some((e) => e.isDir),
      ),
      cwd: target.root,
      paths,
      timeoutMs: p.killAfterMs,
      ...excludeWalk(walkDirs),
    };
    const r = await execute(p, job, plural(paths.length, 'path', 'paths'), describePaths(entries));
    if ('error' in r) {
      failLog.record(target, paths, -1);
      return withFacts({ kind: 'failed', reason: r.error }, facts);
    }
    facts.push(factsOf(r));
    return withFacts(settle(target, entries, r), facts);
  };

  /** The outcome of a path run that ran, with its fail-log bookkeeping. */
  const settle = (target: Target, entries: readonly Entry[], r: RunResult): BatchOutcome => {
    const paths = entries.map((e) => e.path);
    const c = classify(r.outcome);
    const status = waitStatus(r.outcome);
    switch (c.verdict) {
      case 'ok':
        failLog.resolve(target, paths);
        return { kind: 'ok' };
      case 'partial': {
        // Named paths no entry covers say nothing about the batch: when none is placed, all failed.
        const named = coveringEntries(entries, r.failedPaths).covered.map((e) => e.path);
        const failedPaths = named.length > 0 ? named : paths;
        const failedSet = new Set(failedPaths);
        failLog.record(target, failedPaths, status);
        failLog.resolve(
          target,
          paths.filter((x) => !failedSet.has(x)),
        );
        return { kind: 'partial', failedPaths };
      }
      case 'retry':
      case 'fatal':
        failLog.record(target, paths, status);
        return {
          kind: 'failed',
          reason: `${c.verdict}: ${describeOutcome(r.outcome)} (${c.meaning})`,
        };
      default:
        return unreachable(c.verdict);
    }
  };

  const runFullSync = async (
    root: string,
    remoteIndex: number,
    opts: FullSyncRunOptions = {},
  ): Promise<BatchOutcome> => {
    const p = prep(root, remoteIndex);
    const job: SyncJob = {
      kind: 'full',
      id: nextId++,
      rsyncPath,
      argv: fullSyncArgv(p, opts),
      cwd: root,
      paths: [],
      timeoutMs: p.killAfterMs,
      ...excludeWalk(['']),
    };
    const r = await execute(
      p,
      job,
      'full sync',
      '',
      opts.onProgress === undefined ? undefined : { onProgress: opts.onProgress },
    );
    if ('error' in r) return { kind: 'failed', reason: r.error };
    const c = classify(r.outcome);
    const run = factsOf(r);
    if (c.verdict === 'ok') return { kind: 'ok', run };
    if (c.verdict === 'partial' && r.failedPaths.length > 0)
      return { kind: 'partial', failedPaths: r.failedPaths, run };
    const reason = `${c.verdict}: ${describeOutcome(r.outcome)} (${c.meaning})`;
    return { kind: 'failed', reason, run };
  };

  const commandFor = (target: Target, paths: readonly string[]): FailLogCommand => ({
    cwd: target.root,
    argv: [rsyncPath, ...replayArgv(prep(target.root, target.remoteIndex), paths)],
  });

  return Object.assign(run, { runFullSync, commandFor });
}

/** prepareRemote once per (root, remote). */
function cachedPrepare(config: Config): (root: string, remoteIndex: number) => PreparedRemote {
  const prepared = new Map<string, PreparedRemote>();
  return (root, remoteIndex) => {
    const key = `${root}\u0000${remoteIndex}`;
    let p = prepared.get(key);
    if (p === undefined) {
      p = prepareRemote(config, root, remoteIndex);
      prepared.set(key, p);
    }
    return p;
  };
}

/** The facts the worker measured for one run, as the outcome carries them. */
function factsOf(r: RunResult): RunFacts {
  return { durationMs: r.durationMs, items: r.itemsReported, bytes: r.bytes };
}

/** `outcome` with the summed facts of the runs behind it (none ran: no facts). */
function withFacts(outcome: BatchOutcome, facts: readonly RunFacts[]): BatchOutcome {
  if (facts.length === 0) return outcome;
  const run = facts.reduce((a, f) => ({
    durationMs: a.durationMs + f.durationMs,
    items: a.items + f.items,
    bytes: a.bytes + f.bytes,
  }));
  return { ...outcome, run };
}
