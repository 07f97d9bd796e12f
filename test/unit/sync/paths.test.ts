// The worker entry resolves to a file that exists after the build (the classic piscina failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { RSYNC_WORKER_FILE, RSYNC_WORKER_URL } from '../../../src/sync/paths.js';

test('workers/rsync-worker.js exists next to the compiled src/', async () => {
  assert.match(RSYNC_WORKER_FILE, /\/workers\/rsync-worker\.js$/);
  assert.ok(existsSync(RSYNC_WORKER_FILE), RSYNC_WORKER_FILE);
  const mod = (await import(RSYNC_WORKER_URL.href)) as { default?: unknown };
  assert.equal(typeof mod.default, 'function');
});
