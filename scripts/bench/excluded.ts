// (k), (kk) `-r` with `<filter>` excludes against a bare rsync of the same tree. Not a test.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  QUICK,
  bulkRsync,
  dropEnv,
  freshEnv,
  now,
  rows,
  startSvc,
  targetMatches,
  until,
  writeFiles,
  type Workload,
} from './common.js';

/**
 * (k) `-r` with `<filter>` over 50 dirs x (100 kept + 2,000 excluded `*.tmp` files): the full
 * sync's exclude rules (sync/exclude-rules.ts) are one `/**.tmp` rule. (kk) the same tree with
 * a rule for `t<digits>.tmp` at any depth and a kept `keep.tmp` in each dir, so no suffix rule holds:
 * 100k literal rules.
 */
async function excludedFullSync(label: string, name: string, literal: boolean): Promise<void> {
  const env = await freshEnv(name, [literal ? '(.*/)?t[0-9]+\\.tmp' : '(.*)\\.tmp']);
  const dirs = QUICK ? 10 : 50;
  const excludedPer = QUICK ? 200 : 2000;
  writeFiles(env.src, dirs, 100, 16, true);
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < excludedPer; f++) writeFileSync(join(env.src, `d${d}`, `t${f}.tmp`), 'x');
    if (literal) writeFileSync(join(env.src, `d${d}`, 'keep.tmp'), 'k');
  }
  const clean = (): void => {
    rmSync(env.dst, { recursive: true, force: true });
    mkdirSync(env.dst);
  };
  const floor = bulkRsync(env); // the same tree, no rules: every file sent
  clean();
  const oneGlob = bulkRsync(env, ['--exclude=t*.tmp']);
  clean();
  const keep = (rel: string): boolean => !/(^|\/)t\d+\.tmp$/.test(rel);
  const converged = targetMatches(env.src, env.dst, keep);
  const t0 = now();
  const svc = await startSvc(env, label, ['-r']);
  const t1 = await until(converged, 900_000, `${name} full sync`);
  await svc.stop();
  const excluded = dirs * excludedPer;
  rows.push({
    workload: `${name}: -r, ${dirs * 100} kept + ${excluded} excluded files${literal ? ' (literal rules)' : ''}`,
    service: label,
    value: t1 - t0,
    unit: 'ms',
    floor,
    ratio: (t1 - t0) / floor,
    note: `from exec to target == kept; floor = rsync -a of the same tree, no rules; one glob --exclude: ${oneGlob.toFixed(0)} ms`,
  });
  await dropEnv(env);
}

export const excludedWorkloads: Record<string, Workload> = {
  k: (label) => excludedFullSync(label, 'k', false),
  kk: (label) => excludedFullSync(label, 'kk', true),
};
