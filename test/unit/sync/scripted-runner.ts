// A batch runner whose pool answers scripted results in turn (a clean exit 0 past the script),
// with a recording logger and fail log: for the runner's log-line and outcome tests.
import type { Config } from '../../../src/config/types.js';
import type { RunResult } from '../../../src/sync/protocol.js';
import { createBatchRunner } from '../../../src/sync/runner.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { makeConfig } from './config-fixture.js';

/** The runner, its log lines, and the fail-log calls (`record a,b` / `resolve a,b`). */
export function scriptedRunner(
  results: readonly Partial<RunResult>[],
  config: Config = makeConfig(),
) {
  const calls: string[] = [];
  const logger = memoryLogger('debug');
  let i = 0;
  const runner = createBatchRunner({
    config,
    logger,
    rsyncPath: 'rsync',
    pool: {
      run: (job) =>
        Promise.resolve({
          id: job.id,
          durationMs: 5,
          stderrTail: '',
          failedPaths: [],
          itemsReported: 0,
          bytes: 0,
          outcome: { kind: 'exited', code: 0 },
          ...results[i++],
        }),
    },
    failLog: {
      record: (_t, paths) => calls.push(`record ${paths.join(',')}`),
      resolve: (_t, paths) => calls.push(`resolve ${paths.join(',')}`),
    },
  });
  return { runner, calls, logger };
}
