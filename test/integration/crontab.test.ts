// End to end: `<crontab>` periodic full syncs against a real loopback rsync daemon, with the period
// shortened through SERSYNC_CRONTAB_INTERVAL_MS. Changes the watcher never turns into a sync (every
// <inotify> switch off, or damage done on the target side) must still reach the target;
// <crontabfilter> globs must hold; the original's "filter on, crontabfilter empty -> crontab off"
// rule must be visible and obeyed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { ALL_SWITCHES_OFF, converged, startSynced } from '../helpers/plugin-conf.js';
import type { Service } from '../helpers/service.js';

/** The shortened crontab period (the config says 600 minutes). */
const INTERVAL_MS = 150;

const env = { SERSYNC_CRONTAB_INTERVAL_MS: String(INTERVAL_MS) };

/** Log lines of completed full syncs (`rsync -> 127.0.0.1::mod: full sync, exit 0, T ms`). */
const fullSyncs = (s: Service): number => (s.output().match(/: full sync, exit 0,/g) ?? []).length;
/** Log lines of realtime batch runs (`…: N paths, exit C, T ms`). */
const batchRuns = (s: Service): number => (s.output().match(/: \d+ paths?, exit /g) ?? []).length;

test('crontab: with every <inotify> switch off, source changes still reach the target, period after period', async (t) => {
  const { src, dst, service } = await startSynced(
    t,
    () => ({ inotify: ALL_SWITCHES_OFF, crontab: { start: true, scheduleMin: 600 } }),
    {
      env,
      prepare: (s) => {
        mkdirSync(join(s, 'pre'));
        writeFileSync(join(s, 'pre', 'old.txt'), 'old');
      },
    },
  );
  // No -r and an empty target: only a crontab run can bring pre/old.txt over.
  await eventually(converged(src, dst), { timeoutMs: 15_000, what: 'the first crontab full sync' });
  // The target converges while rsync is still finishing: its log line follows.
  await eventually(() => fullSyncs(service) >= 1, {
    timeoutMs: 15_000,
    what: 'the full sync log line',
  });
  const runsBefore = fullSyncs(service);

  // Changes the watcher sees but may not act on (all switches off): a new file, a rewrite with a
  // new size, a new directory tree.
  writeFileSync(join(src, 'new.txt'), 'new');
  writeFileSync(join(src, 'pre', 'old.txt'), 'rewritten, longer');
  mkdirSync(join(src, 'd', 'e'), { recursive: true });
  writeFileSync(join(src, 'd', 'e', 'deep.txt'), 'deep');
  await eventually(converged(src, dst), { timeoutMs: 15_000, what: 'a later crontab full sync' });

  await eventually(() => fullSyncs(service) > runsBefore, {
    timeoutMs: 15_000,
    what: 'a later full sync logged',
  });
  assert.equal(
    batchRuns(service),
    0,
    `the watcher started no realtime rsync (output:\n${service.output()})`,
  );
});

test('crontab: <crontabfilter> globs are never copied nor deleted on the target; the rest is repaired', async (t) => {
  // The original template's patterns: rsync globs, not regexes.
  const excluded = (p: string): boolean => p.endsWith('.php') || /(^|\/)info\/./.test(p);
  const { src, dst, service } = await startSynced(
    t,
    () => ({
      crontab: {
        start: true,
        scheduleMin: 600,
        filter: { start: true, excludes: ['*.php', 'info/*'] },
      },
    }),
    {
      env,
      prepare: (s, d) => {
        mkdirSync(join(s, 'sub'));
        mkdirSync(join(s, 'info', 'deep'), { recursive: true });
        writeFileSync(join(s, 'keep.txt'), 'keep');
        writeFileSync(join(s, 'sub', 'a.txt'), 'a');
        writeFileSync(join(s, 'x.php'), '<?php');
        writeFileSync(join(s, 'sub', 'y.php'), '<?php');
        writeFileSync(join(s, 'info', 'secret.txt'), 'secret');
        writeFileSync(join(s, 'info', 'deep', 'deeper.txt'), 'deeper');
        writeFileSync(join(s, 'infox.txt'), 'not under info/');
        // Target-side damage the watcher cannot see: an extra file, a stale copy, and excluded
        // files that only the target has (rsync keeps excluded files out of --delete).
        writeFileSync(join(d, 'extra.txt'), 'only on the target');
        writeFileSync(join(d, 'keep.txt'), 'stale, longer than the source');
        writeFileSync(join(d, 'old.php'), 'target-only php');
        mkdirSync(join(d, 'info'));
        writeFileSync(join(d, 'info', 'old.txt'), 'target-only info');
      },
    },
  );
  await eventually(converged(src, dst, excluded), {
    timeoutMs: 15_000,
    what: 'the crontab full sync (excluded paths aside)',
  });

  for (const p of ['x.php', 'sub/y.php', 'info/secret.txt', 'info/deep']) {
    assert.equal(
      existsSync(join(dst, p)),
      false,
      `excluded ${p} was copied (output:\n${service.output()})`,
    );
  }
  assert.ok(statSync(join(dst, 'info')).isDirectory(), 'info/ itself is not excluded by info/*');
  for (const p of ['old.php', 'info/old.txt'])
    assert.ok(existsSync(join(dst, p)), `excluded target-only ${p} was deleted`);
  assert.equal(
    existsSync(join(dst, 'extra.txt')),
    false,
    'the target-only file was deleted (--delete)',
  );
});

test('crontab: a file removed on the target side is restored by the next full sync', async (t) => {
  const { src, dst, service } = await startSynced(
    t,
    () => ({ crontab: { start: true, scheduleMin: 600 } }),
    {
      env,
      prepare: (s) => {
        writeFileSync(join(s, 'precious.txt'), 'precious');
      },
    },
  );
  await eventually(converged(src, dst), { timeoutMs: 15_000, what: 'the first crontab full sync' });
  await eventually(() => fullSyncs(service) >= 1, {
    timeoutMs: 15_000,
    what: 'the full sync log line',
  });
  const runsBefore = fullSyncs(service);
  rmSync(join(dst, 'precious.txt'));
  writeFileSync(join(dst, 'intruder.txt'), 'x');
  await eventually(converged(src, dst), {
    timeoutMs: 15_000,
    what: 'the target repaired by a later full sync',
  });
  await eventually(() => fullSyncs(service) > runsBefore, {
    timeoutMs: 15_000,
    what: 'a later full sync logged',
  });
});

test('crontab: realtime <filter> on and <crontabfilter> empty switches the crontab off, and says so', async (t) => {
  const { src, dst, service } = await startSynced(
    t,
    () => ({
      excludes: ['.*\\.tmp'],
      crontab: { start: true, scheduleMin: 600, filter: { start: false, excludes: ['*.tmp'] } },
    }),
    {
      env,
      prepare: (s, d) => {
        writeFileSync(join(s, 'pre.txt'), 'only a full sync copies this');
        writeFileSync(join(d, 'extra.txt'), 'only a full sync deletes this');
      },
    },
  );
  // The config warning (printed by the CLI before it starts) names the element and the reason.
  assert.match(service.output(), /sersync\/crontab@start: crontab is switched off/);

  // Many crontab periods of realtime traffic, each change waited for: realtime works, and no full
  // sync ever runs (a negative can only be observed over time; the window is >= 15 periods).
  const t0 = Date.now();
  let i = 0;
  do {
    const name = `rt-${i++}.txt`;
    writeFileSync(join(src, name), name);
    await eventually(() => existsSync(join(dst, name)), {
      timeoutMs: 10_000,
      what: `realtime sync of ${name}`,
    });
  } while (Date.now() - t0 < 15 * INTERVAL_MS);

  assert.equal(fullSyncs(service), 0, `no full sync ran (output:\n${service.output()})`);
  assert.ok(existsSync(join(dst, 'extra.txt')), 'the target-only file is untouched');
  assert.equal(existsSync(join(dst, 'pre.txt')), false, 'the unchanged source file was not pushed');
});
