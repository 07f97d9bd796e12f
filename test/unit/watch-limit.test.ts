// The watch-limit advice (src/watch/watch-limit.ts): which sysctl, its value, the value needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { countDirs, suggestedWatches, watchLimitAdvice } from '../../src/watch/watch-limit.js';
import { tmpDir } from '../helpers/tmp.js';

test('suggested value: the directories x 1.25 + 8192, rounded up to a thousand', () => {
  assert.equal(suggestedWatches(100_101), 134_000);
  assert.equal(suggestedWatches(1), 9000);
});

test('advice: the host sysctl, and the namespace cap only when it is the lower one', () => {
  const host = watchLimitAdvice('/data', 100_101, {
    userWatches: 8192,
    namespaceWatches: 2147483647,
  });
  assert.equal(
    host,
    'inotify watch limit: /data has 100101 directories, one watch each; fs.inotify.max_user_watches is 8192; set it to at least 100101 plus what other programs of this user watch: sysctl -w fs.inotify.max_user_watches=134000 (persist it in /etc/sysctl.d/)',
  );
  const ns = watchLimitAdvice('/data', 10, { userWatches: 192530, namespaceWatches: 5 });
  assert.match(ns, /and user\.max_inotify_watches of this user namespace is 5;/);
  assert.match(ns, /and sysctl -w user\.max_inotify_watches=9000$/);
  assert.match(
    watchLimitAdvice('/d', 1, { userWatches: undefined, namespaceWatches: undefined }),
    /is unreadable/,
  );
});

test('countDirs: every directory, the root included, files not', async () => {
  const tmp = tmpDir('sersync-count-');
  try {
    for (const d of ['a/b/c', 'a/d', 'e']) mkdirSync(join(tmp.path, d), { recursive: true });
    assert.equal(await countDirs(tmp.path), 6);
  } finally {
    tmp.cleanup();
  }
});
