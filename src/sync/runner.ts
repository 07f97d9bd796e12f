// The glue the daemon uses: Batch -> SyncJob -> pool -> RunResult -> log lines, fail log and a
// BatchOutcome for the scheduler; plus the full-root push for `-r`, crontab and rescans. Shell.
//
//   batch ─▶ job (argv, NUL list, exclude walk) ─▶ pool.run ─▶ classify
//     ok      ─▶ resolve paths in the fail log            ─▶ {kind:'ok'}
//     partial ─▶ record named paths (all if none named)    ─▶ {kind:'partial', failedPaths}
//       only "." / implied parents named ─▶ resolve all     ─▶ {kind:'ok', warning} (logged once)
//     retry / fatal / pool error ─▶ record every path      ─▶ {kind:'failed', reason}
//   A renamed directory whose old path is removed by the same batch first gets its own run with
//   the target's old copy as basis (renameArgv); if that run succeeds it leaves the batch, else the
//   batch syncs it the plain way. The old path is deleted by the batch run, so always afterwards.
//   Every outcome carries the facts of its run(s) as the worker measured them (`run`: duration,
//   items, bytes), untouched.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { BatchOutcome, PathBatch, RunFacts, Target } from '../queue/types.js';
import type { FailLogSink } from '../retry/fail-log-file.js';
import { renderCommand, type FailLogCommand } from '../retry/fail-log.js';
import {
  batchArgv,
  fullSyncArgv,
  replayArgv,
  type FullSyncOptions,
  type PreparedRemote,
} from './argv.js';
import {
  cachedPrepare,
  describePaths,
  factsOf,
  renameCandidates,
  withFacts,
} from './batch-plan.js';
import { createCauseLog, type CauseLog } from './cause-log.js';
import { classify, describeOutcome } from './exit-policy.js';
import type { RunOptions, SyncPool } from './pool.js';
import type { ExcludeWalk, RunResult, SyncJob } from './protocol.js';
import { plural } from '../util/plural.js';
import { createWarningLog, outsideWarning, type WarningLog } from './outside-warnings.js';
import { errorLineOf, outsideOnly, settle } from './settle.js';
import { pinRealDir } from './pin-dir.js';
import { runRenames } from './rename-run.js';

export interface BatchRunnerDeps {
  readonly config: Config;
  readonly pool: Pick<SyncPool, 'run'>;
  readonly logger: Logger;
  readonly failLog: FailLogSink;
  /** The rsync executable ("rsync", or a stub in tests). */
  readonly rsyncPath: string;
  /** The prepared remote of (root, remote); default: prepareRemote(config, …), once per target. */
  readonly prepare?: (root: string, remoteIndex: number) => PreparedRemote;
  /** Pins a rename run's new directory (default pinRealDir; tests inject the outcome). */
  readonly pinDir?: typeof pinRealDir;
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

/** Options of one full sync: the argv options plus an optional progress callback (`-r`). */
export interface FullSyncRunOptions extends FullSyncOptions, RunOptions {}

/** What every step of the runner reads. */
interface Ctx {
  readonly config: Config;
  readonly pool: Pick<SyncPool, 'run'>;
  readonly logger: Logger;
  readonly failLog: FailLogSink;
  readonly rsyncPath: string;
  readonly prep: (root: string, remoteIndex: number) => PreparedRemote;
  readonly pinDir: typeof pinRealDir;
  readonly nextId: () => number;
  /** The `<filter>` rules the worker walks with, for `dirs` (none: no walk). */
  readonly excludeWalk: (dirs: readonly string[]) => { excludeWalk?: ExcludeWalk };
  readonly hasExcludes: boolean;
  /** The outside-the-batch problems logged per destination, so each is logged once. */
  readonly warnings: WarningLog;
  /** The permanent causes of failing runs logged per destination, once per streak. */
  readonly causes: CauseLog;
}

/** How a full sync stopped by `--max-delete` is reported (exit-policy.ts says the same of exit 25). */
export const MAX_DELETE = 'the --max-delete limit stopped deletions';
const MAX_DELETE_LINE = /Deletions stopped due to --max-delete limit[^\n]*/;

/** Builds the runner. Each (root, remote) argv prefix is computed once, on first use. */
export function createBatchRunner(deps: BatchRunnerDeps): BatchRunner {
  const { config, rsyncPath } = deps;
  const prep = deps.prepare ?? cachedPrepare(config);
  let id = 1;
  const rules = config.filter.enabled ? config.filter.excludes : [];
  const ctx: Ctx = {
    ...deps,
    prep,
    pinDir: deps.pinDir ?? pinRealDir,
    nextId: () => id++,
    hasExcludes: rules.length > 0,
    warnings: createWarningLog(deps.logger),
    causes: createCauseLog(deps.logger),
    excludeWalk: (dirs) =>
      rules.length > 0 && dirs.length > 0
        ? { excludeWalk: { dirs, rules, statWalk: config.xfs } }
        : {},
  };
  const commandFor = (target: Target, paths: readonly string[]): FailLogCommand => ({
    cwd: target.root,
    argv: [rsyncPath, ...replayArgv(prep(target.root, target.remoteIndex), paths)],
  });
  return Object.assign((batch: PathBatch) => runPaths(ctx, batch), {
    runFullSync: (root: string, remoteIndex: number, opts: FullSyncRunOptions = {}) =>
      runFull(ctx, root, remoteIndex, opts),
    commandFor,
  });
}

/** Runs a job; a pool rejection (closed pool, worker bug) becomes a value with its reason. */
async function execute(
  ctx: Ctx,
  p: PreparedRemote,
  job: SyncJob,
  what: string,
  detail = '',
  runOpts?: RunOptions,
  quietIf?: (r: RunResult) => boolean,
): Promise<RunResult | { error: string }> {
  const { logger } = ctx;
  // rsync reads the password file now: whatever it holds is redacted in every line about the run.
  logger.refreshSecrets?.();
  // <debug start="true"> shows every command (like the original); otherwise only at debug level.
  const argvLine = `rsync argv: ${renderCommand({ cwd: job.cwd, argv: [ctx.rsyncPath, ...job.argv] })}`;
  if (ctx.config.debug) logger.info(argvLine);
  else logger.debug(argvLine);
  let r: RunResult;
  try {
    r = await (runOpts === undefined ? ctx.pool.run(job) : ctx.pool.run(job, runOpts));
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    logger.error(`rsync -> ${p.destination}: ${what}, not run: ${error}${detail}`);
    return { error };
  }
  const verdict = classify(r.outcome);
  const line = `rsync -> ${p.destination}: ${what}, ${describeOutcome(r.outcome)}, ${r.durationMs} ms${detail}`;
  const stderrAt = (level: 'debug' | 'warn'): void => {
    for (const l of r.stderrTail.split('\n'))
      if (l.trim() !== '') logger[level](`rsync stderr (${p.destination}): ${l}`);
  };
  if (quietIf?.(r) === true) {
    // Everything arrived; the problem outside the batch is logged once by the warning log.
    logger.info(`${line} (arrived; rsync named only paths outside the batch)`);
    stderrAt('debug');
    ctx.causes.settled(p.destination, true, r.errorLine);
    return r;
  }
  // A known cause already logged for this destination: its retries repeat the same stderr.
  const repeated = ctx.causes.repeated(p.destination, r.errorLine);
  if (verdict.verdict === 'ok') logger.info(line);
  else if (verdict.verdict === 'fatal' && !repeated) logger.error(`${line} (${verdict.meaning})`);
  else logger.warn(`${line} (${verdict.meaning})`);
  stderrAt(repeated ? 'debug' : 'warn');
  ctx.causes.settled(p.destination, verdict.verdict === 'ok', r.errorLine);
  return r;
}

async function runPaths(ctx: Ctx, batch: PathBatch): Promise<BatchOutcome> {
  const { target } = batch;
  const p = ctx.prep(target.root, target.remoteIndex);
  if (batch.entries.length === 0) return { kind: 'ok' };
  const facts: RunFacts[] = [];
  const candidates = renameCandidates(batch.entries, ctx.hasExcludes);
  const renamed = await runRenames(
    { ...ctx, run: (job, what) => execute(ctx, p, job, what) },
    target,
    p,
    candidates,
    facts,
  );
  const entries =
    renamed.size === 0 ? batch.entries : batch.entries.filter((e) => !renamed.has(e.path));
  if (renamed.size > 0) ctx.failLog.resolve(target, [...renamed]);
  const paths = entries.map((e) => e.path);
  if (paths.length === 0) return withFacts({ kind: 'ok' }, facts);
  const walkDirs = entries.filter((e) => e.isDir && e.op === 'upsert').map((e) => e.path);
  const job: SyncJob = {
    kind: 'paths',
    id: ctx.nextId(),
    rsyncPath: ctx.rsyncPath,
    argv: batchArgv(
      p,
      entries.some((e) => e.isDir),
    ),
    cwd: target.root,
    paths,
    timeoutMs: p.killAfterMs,
    ...ctx.excludeWalk(walkDirs),
  };
  const r = await execute(
    ctx,
    p,
    job,
    plural(paths.length, 'path', 'paths'),
    describePaths(entries),
    undefined,
    (run) => outsideOnly(entries, run) !== undefined,
  );
  if ('error' in r) {
    ctx.failLog.record(target, paths, -1);
    return withFacts({ kind: 'failed', reason: r.error }, facts);
  }
  facts.push(factsOf(r));
  const outcome = settle(ctx.failLog, target, entries, r);
  if (outcome.kind === 'ok')
    ctx.warnings.settled(
      p.destination,
      outcome.warning === undefined ? [] : (outsideOnly(entries, r) ?? []),
      paths,
      r.stderrTail,
    );
  return withFacts(outcome, facts);
}

async function runFull(
  ctx: Ctx,
  root: string,
  remoteIndex: number,
  opts: FullSyncRunOptions,
): Promise<BatchOutcome> {
  const p = ctx.prep(root, remoteIndex);
  const job: SyncJob = {
    kind: 'full',
    id: ctx.nextId(),
    rsyncPath: ctx.rsyncPath,
    argv: fullSyncArgv(p, opts),
    cwd: root,
    paths: [],
    timeoutMs: p.killAfterMs,
    ...ctx.excludeWalk(['']),
  };
  const progress = opts.onProgress === undefined ? undefined : { onProgress: opts.onProgress };
  const rootOnly = (x: RunResult): boolean =>
    classify(x.outcome).verdict === 'partial' &&
    x.failedPaths.length > 0 &&
    x.failedPaths.every((f) => f === '.');
  const r = await execute(ctx, p, job, 'full sync', '', progress, rootOnly);
  if ('error' in r) return { kind: 'failed', reason: r.error };
  const c = classify(r.outcome);
  const run = factsOf(r);
  // A daemon receiver that hit --max-delete says so on stderr; the client may still exit 0.
  const maxDelete = MAX_DELETE_LINE.exec(r.stderrTail);
  if (maxDelete !== null && c.verdict !== 'fatal')
    return {
      kind: 'failed',
      reason: `fatal: ${describeOutcome(r.outcome)} (${MAX_DELETE}: ${maxDelete[0]})`,
      run,
    };
  if (c.verdict === 'ok') {
    ctx.warnings.settled(p.destination, [], [''], r.stderrTail);
    return { kind: 'ok', run };
  }
  // Only the root itself named (rsync cannot set the times of "."): the tree arrived.
  if (rootOnly(r)) {
    ctx.warnings.settled(p.destination, ['.'], [''], r.stderrTail);
    return { kind: 'ok', warning: outsideWarning(['.'], r.stderrTail), run };
  }
  if (c.verdict === 'partial' && r.failedPaths.length > 0)
    return {
      kind: 'partial',
      failedPaths: r.failedPaths.filter((f) => f !== '.'),
      ...errorLineOf(r),
      run,
    };
  const reason = `${c.verdict}: ${describeOutcome(r.outcome)} (${c.meaning})`;
  return { kind: 'failed', reason, ...errorLineOf(r), run };
}
