// runsInline: which jobs run on the calling thread, with and without the native spawner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INLINE_MAX_PATHS, runsInline } from '../../../src/sync/pool.js';
import type { ExcludeWalk, SyncJob } from '../../../src/sync/protocol.js';

const job = (over: Partial<SyncJob> & { n?: number }): SyncJob => ({
  kind: 'paths',
  id: 1,
  rsyncPath: 'rsync',
  argv: [],
  cwd: '/src',
  paths: Array.from({ length: over.n ?? 1 }, (_, i) => `f${i}`),
  timeoutMs: 0,
  ...over,
});
const walk: ExcludeWalk = { dirs: ['.'], rules: [], statWalk: false };

const rows: [string, SyncJob, number, boolean, boolean][] = [
  ['a lone path, pool idle, fork spawner', job({}), 0, false, true],
  ['a lone path while another runs, fork spawner', job({}), 1, false, false],
  ['more than the inline maximum, fork spawner', job({ n: INLINE_MAX_PATHS + 1 }), 0, false, false],
  ['the inline maximum, pool idle', job({ n: INLINE_MAX_PATHS }), 0, false, true],
  ['a burst batch while others run, native spawner', job({ n: 5000 }), 9, true, true],
  ['a path job with an exclude walk, native spawner', job({ excludeWalk: walk }), 0, true, false],
  ['a full sync, native spawner', job({ kind: 'full' }), 0, true, false],
];
for (const [what, j, running, fast, want] of rows)
  test(`runsInline: ${what} -> ${want ? 'inline' : 'worker thread'}`, () => {
    assert.equal(runsInline(j, running, fast), want);
  });
