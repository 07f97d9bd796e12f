// The fail log on disk, and run by /bin/sh the way the original (and an operator) runs it:
// against a fake rsync that records its argv, and against a real rsync daemon.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../helpers/memory-logger.js';
import type { Target } from '../../src/queue/types.js';
import { createFailLogFile } from '../../src/retry/fail-log-file.js';
import { parseFailLog } from '../../src/retry/fail-log.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';
import { makeConfig } from '../unit/sync/config-fixture.js';
import { HOSTILE, PWNED_FILES } from '../unit/sync/hostile-names.js';

const tmp = tmpDir('sersync-faillog-it-');
let daemon: Rsyncd;
const ROOT = join(tmp.path, "src it's $(touch PWNED_sub) `x`");

before(async () => {
  mkdirSync(ROOT, { recursive: true });
  daemon = await startRsyncd(join(tmp.path, 'daemon'), [
    { name: 'replay', path: join(tmp.path, 'dst') },
  ]);
});
after(async () => {
  await daemon.stop();
  tmp.cleanup();
});

const target: Target = { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 };

function runner(rsyncPath: string) {
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, true, {
    root: ROOT,
    remotes: [{ ip: '127.0.0.1', name: 'replay' }],
  });
  return createBatchRunner({
    config,
    rsyncPath,
    logger: memoryLogger(),
    pool: { run: () => Promise.reject(new Error('unused')) },
    failLog: { record: () => undefined, resolve: () => undefined },
  });
}

function noPwned(): void {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (PWNED_FILES.includes(e.name)) found.push(join(dir, e.name));
      if (e.isDirectory()) walk(join(dir, e.name));
    }
  };
  walk(tmp.path);
  assert.deepEqual(found, []);
}

test('record / resolve rewrite the file atomically with mode 0600; an empty set leaves an empty file', async () => {
  const path = join(tmp.path, 'fail1.sh');
  const log = createFailLogFile({ path, commandFor: runner('rsync').commandFor });
  log.record(target, ['a', 'b'], 2560);
  log.record(target, ['b'], 1280);
  await log.flush();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const parsed = parseFailLog(readFileSync(path, 'utf8'));
  assert.deepEqual(
    parsed.map((p) =>
      p.kind === 'ours'
        ? `${p.status} ${p.argv.filter((a) => a.startsWith('./')).join(' ')}`
        : p.kind,
    ),
    ['1280 ./b', '2560 ./a'],
  );
  assert.ok(parsed.every((p) => p.kind === 'ours' && p.cwd === ROOT));
  log.resolve(target, ['a', 'b', 'never-failed']);
  await log.flush();
  assert.equal(readFileSync(path, 'utf8'), '');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(tmp.path).filter((n) => n.startsWith('fail1.sh.')),
    [],
    'no temp file left',
  );
  assert.deepEqual(log.outstanding(), new Map());
});

test('running the file with /bin/sh hands rsync every hostile name literally and runs nothing from them', async () => {
  const out = join(tmp.path, 'argv.bin');
  const fake = join(tmp.path, 'fake-rsync');
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\0' "$PWD" "$@" >> '${out}'\n`);
  chmodSync(fake, 0o755);
  const path = join(tmp.path, 'fail2.sh');
  const r = runner(fake);
  const log = createFailLogFile({ path, commandFor: r.commandFor, maxPathsPerEntry: 10 });
  log.record(target, HOSTILE, 2560);
  await log.flush();
  const sh = spawnSync('/bin/sh', [path], { cwd: tmp.path, encoding: 'utf8' });
  assert.equal(sh.status, 0, sh.stderr);
  const got = readFileSync(out, 'utf8').split('\0').slice(0, -1);
  // One record per command: cwd, then the argv; the paths come sorted, in chunks of 10.
  const want: string[] = [];
  const sorted = [...HOSTILE].sort();
  for (let i = 0; i < sorted.length; i += 10)
    want.push(ROOT, ...r.commandFor(target, sorted.slice(i, i + 10)).argv.slice(1));
  assert.deepEqual(got, want);
  noPwned();
});

test('a recorded entry replayed by /bin/sh against the daemon creates and deletes hostile names', async () => {
  const dst = join(tmp.path, 'dst');
  const path = join(tmp.path, 'fail3.sh');
  const log = createFailLogFile({ path, commandFor: runner('rsync').commandFor });
  HOSTILE.forEach((n, i) => {
    writeFileSync(join(ROOT, n), `v${i}`);
  });
  log.record(target, HOSTILE, 2560);
  await log.flush();
  const run = (): void => {
    const sh = spawnSync('/bin/sh', [path], { cwd: tmp.path, encoding: 'utf8' });
    assert.equal(sh.status, 0, sh.stderr);
  };
  run();
  assert.deepEqual(diffTrees(ROOT, dst), []);
  for (const n of HOSTILE.slice(0, 5)) rmSync(join(ROOT, n));
  run();
  assert.deepEqual(diffTrees(ROOT, dst), []);
  assert.equal(existsSync(join(dst, HOSTILE[0] ?? '')), false);
  noPwned();
});
