// The rename runs of a batch (docs/queue.md "Renames"): each renamed directory, pinned at run time
// (pin-dir.ts), is synced with the target's old copy as basis before the batch. Shell.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { fsPath } from '../util/byte-names.js';
import type { Entry, RunFacts, Target } from '../queue/types.js';
import { renameArgv, type PreparedRemote } from './argv.js';
import { factsOf, quotePath, renameBasis } from './batch-plan.js';
import { classify } from './exit-policy.js';
import type { pinRealDir } from './pin-dir.js';
import type { RunResult, SyncJob } from './protocol.js';

/** What the rename runs read from the runner: `run` logs and runs one job (runner.ts execute). */
export interface RenameCtx {
  readonly logger: Logger;
  readonly rsyncPath: string;
  readonly pinDir: typeof pinRealDir;
  readonly nextId: () => number;
  readonly run: (job: SyncJob, what: string) => Promise<RunResult | { error: string }>;
}

/**
 * Runs the rename runs of `candidates` one after the other; returns the paths they synced. The new
 * directory is pinned first (pin-dir.ts): when it is not a real directory (a link swapped in after
 * the rename), it gets no rename run and the batch syncs it as what it is.
 */
export async function runRenames(
  ctx: RenameCtx,
  target: Target,
  p: PreparedRemote,
  candidates: readonly (Entry & { readonly renamedFrom: string })[],
  facts: RunFacts[],
): Promise<Set<string>> {
  const done = new Set<string>();
  for (const e of candidates) {
    const pin = await ctx.pinDir(target.root, e.path);
    const plain = (why: string): void => {
      ctx.logger.info(
        `rsync -> ${p.destination}: ${quotePath(e.path)} is synced the plain way ${why}`,
      );
    };
    if (!pin.ok) {
      plain(`(not a real directory at run time: ${pin.error})`);
      continue;
    }
    const basis = renameBasis(p.deleteOn, existsSync(fsPath(join(target.root, e.renamedFrom))));
    const job: SyncJob = {
      kind: 'rename',
      id: ctx.nextId(),
      rsyncPath: ctx.rsyncPath,
      argv: renameArgv(p, e.renamedFrom, e.path, basis, `${pin.value.path}/`),
      cwd: target.root,
      paths: [],
      timeoutMs: p.killAfterMs,
    };
    const what = `rename ${quotePath(e.renamedFrom)} -> ${quotePath(e.path)} (${basis})`;
    const r = await ctx.run(job, what).finally(() => pin.value.close());
    if (!('error' in r)) facts.push(factsOf(r));
    if (!('error' in r) && classify(r.outcome).verdict === 'ok') done.add(e.path);
    else plain('after its rename run failed');
  }
  return done;
}
