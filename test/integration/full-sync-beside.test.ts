// A full sync in flight does not hold realtime changes back (docs/queue.md "Full sync beside
// realtime runs"), against a real rsync daemon. The `-r` full sync is made slow deterministically:
// 1.5 MiB of random data under `--bwlimit=256` (KiB/s) takes at least ~6 s whatever the machine.
// While it runs, a file created, a file deleted and a new directory must reach the target; when
// it is done, the target equals the source (what the full sync's stale file lists may have
// undone is run again after it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd } from '../helpers/rsyncd.js';
import { confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

const BULK = 6;
const BULK_SIZE = 256 * 1024;
/** The full sync's end, as the runner logs it. */
const FULL_DONE = /rsync -> \S+: full sync, /;

test('realtime changes reach the target while a slow full sync runs; then target == source', async (t) => {
  const tmp = tmpDir('sersync-beside-');
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  for (const d of ['bulk', 'old', 'zdir']) mkdirSync(join(src, d), { recursive: true });
  mkdirSync(dst);
  for (let i = 0; i < BULK; i++) writeFileSync(join(src, 'bulk', `b${i}`), randomBytes(BULK_SIZE));
  writeFileSync(join(src, 'old', 'gone.txt'), 'to be deleted during the full sync');
  writeFileSync(join(src, 'zdir', 'z.txt'), 'listed late');
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  const xml = confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: rsyncd.port,
    failLog: join(tmp.path, 'fail.sh'),
    commonParams: '-art --bwlimit=256',
  });
  const service = await startService(tmp.path, xml, ['-r']);
  t.after(async () => {
    const code = await service.stop();
    await rsyncd.stop();
    tmp.cleanup();
    assert.equal(code, 0, service.output());
  });

  // The full sync is in flight: its first file arrived (rsync renames a file into place when complete).
  await eventually(() => existsSync(join(dst, 'bulk', 'b0')), {
    timeoutMs: 30_000,
    what: 'the first file of the full sync',
  });
  assert.doesNotMatch(service.output(), FULL_DONE);
  writeFileSync(join(src, 'new.txt'), 'created during the full sync');
  writeFileSync(join(src, 'zdir', 'late.txt'), 'created during the full sync');
  rmSync(join(src, 'old', 'gone.txt'));
  mkdirSync(join(src, 'fresh'));
  writeFileSync(join(src, 'fresh', 'f.txt'), 'a new directory');

  await eventually(
    () =>
      existsSync(join(dst, 'new.txt')) &&
      existsSync(join(dst, 'fresh', 'f.txt')) &&
      existsSync(join(dst, 'zdir', 'late.txt')),
    { timeoutMs: 30_000, what: 'the realtime changes' },
  );
  const stillRunning = !FULL_DONE.test(service.output());
  const bulkLeft = Array.from({ length: BULK }, (_, i) => join(dst, 'bulk', `b${i}`)).filter(
    (p) => !existsSync(p) || statSync(p).size !== BULK_SIZE,
  );
  assert.ok(
    stillRunning && bulkLeft.length > 0,
    `the realtime changes arrived while the full sync ran (${bulkLeft.length} bulk files left)\n${service.output()}`,
  );

  await eventually(
    () => {
      if (!FULL_DONE.test(service.output())) return false;
      const d = diffTrees(src, dst);
      if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
      return true;
    },
    { timeoutMs: 60_000, what: 'target == source after the full sync' },
  );
  assert.equal(existsSync(join(dst, 'old', 'gone.txt')), false);
  assert.equal(readFileSync(join(dst, 'new.txt'), 'utf8'), 'created during the full sync');
});
