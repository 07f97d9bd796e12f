// A slow link (issue 13.2): `<timeout time="2">` with `--bwlimit=400` must not stop a big file
// (the original copied 4 MiB in 11 s); and a single big file, which prints nothing on stdout or
// stderr until it is done, is not a silent run for the watchdog while rsync reads and writes
// (its /proc/PID/io counters move). Real rsync daemon on 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRemote, batchArgv } from '../../src/sync/argv.js';
import { createPool, type SyncPool } from '../../src/sync/pool.js';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeConfig } from '../unit/sync/config-fixture.js';

const tmp = tmpDir('sersync-slow-link-');
let daemon: Rsyncd;
let pool: SyncPool | undefined;
let service: Service | undefined;

before(async () => {
  daemon = await startRsyncd(join(tmp.path, 'daemon'), [
    { name: 'svc', path: join(tmp.path, 'dst-svc') },
    { name: 'job', path: join(tmp.path, 'dst-job') },
  ]);
});

after(async () => {
  await service?.stop();
  await pool?.close();
  await daemon.stop();
  tmp.cleanup();
});

test('<timeout time="2"> and --bwlimit=400: a 4 MiB file arrives (about 10 s), no kill, no retry', async () => {
  const src = join(tmp.path, 'src-svc');
  mkdirSync(src);
  service = await startService(
    tmp.path,
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'svc' }] }],
      port: daemon.port,
      failLog: join(tmp.path, 'fail.sh'),
      commonParams: '-artuz --bwlimit=400',
      timeoutSeconds: 2,
    }),
  );
  const data = randomBytes(4 << 20); // random: -z cannot shrink it
  writeFileSync(join(src, 'big.bin'), data);
  await eventually(
    () => {
      try {
        return readFileSync(join(tmp.path, 'dst-svc', 'big.bin')).equals(data) || null;
      } catch {
        return null;
      }
    },
    { timeoutMs: 90_000, intervalMs: 200, what: 'big.bin on the target' },
  );
  assert.doesNotMatch(service.output(), /timed out|killed/);
});

test('watchdog: a big file that prints nothing for longer than the silence limit is not killed while its counters move', async () => {
  const src = join(tmp.path, 'src-job');
  mkdirSync(src);
  const data = randomBytes(2 << 20); // ~5 s at 400 KiB/s, silent with --out-format until done
  writeFileSync(join(src, 'big.bin'), data);
  const config = makeConfig(
    {
      userDefinedPort: { enabled: true, port: daemon.port },
      commonParams: ['-artuz', '--bwlimit=400'],
    },
    true,
    { root: src, remotes: [{ ip: '127.0.0.1', name: 'job' }] },
  );
  pool = createPool({ threads: 1 });
  const r = await pool.run({
    kind: 'paths',
    id: 1,
    rsyncPath: 'rsync',
    argv: batchArgv(prepareRemote(config, src, 0), false),
    cwd: src,
    paths: ['big.bin'],
    timeoutMs: 1500, // a silence limit far below the transfer's length
  });
  assert.deepEqual(r.outcome, { kind: 'exited', code: 0 }, r.stderrTail);
  assert.ok(r.durationMs > 1500, `the run lasted ${r.durationMs} ms, longer than the limit`);
  assert.ok(readFileSync(join(tmp.path, 'dst-job', 'big.bin')).equals(data));
});
