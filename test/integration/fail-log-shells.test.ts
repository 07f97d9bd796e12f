// The fail log with hostile and non-UTF-8 names, run by every shell present (sh, dash, bash; in
// the C and UTF-8 locales) against a real rsync daemon: the target gets exactly those names,
// compared by bytes, deletions included, and nothing from a name ever runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../src/queue/types.js';
import { createFailLogFile } from '../../src/retry/fail-log-file.js';
import { parseFailLog, replayTargets } from '../../src/retry/fail-log.js';
import { createBatchRunner } from '../../src/sync/runner.js';
import { decodeName, encodeName, fsPath } from '../../src/util/byte-names.js';
import { diffTrees, readTree, shownKey } from '../helpers/tree.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';
import { raw, RAW_HOSTILE } from '../unit/retry/raw-names.js';
import { makeConfig } from '../unit/sync/config-fixture.js';
import { HOSTILE, PWNED_FILES } from '../unit/sync/hostile-names.js';

const tmp = tmpDir('sersync-faillog-shells-');
const ROOT = join(tmp.path, raw("src \xd6\xd0 it's $(touch PWNED) `touch PWNED`"));
const DST = join(tmp.path, 'dst');
const DIR = raw('dir\xe9 \xfc');
const NAMES = [...HOSTILE, ...RAW_HOSTILE, DIR];
let daemon: Rsyncd;

before(async () => {
  daemon = await startRsyncd(join(tmp.path, 'daemon'), [{ name: 'bytes', path: DST }]);
});
after(async () => {
  await daemon.stop();
  tmp.cleanup();
});

const target: Target = { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 };

/** The shells to try: each that runs here, in the C locale and (when present) C.UTF-8. */
function shells(): { shell: string; locale: string }[] {
  const locales = ['C', ...(/^C\.utf-?8$/im.test(run('locale', ['-a'])) ? ['C.UTF-8'] : [])];
  return ['sh', 'dash', 'bash']
    .filter((s) => spawnSync(s, ['-c', 'exit 0']).status === 0)
    .flatMap((shell) => locales.map((locale) => ({ shell, locale })));
}
const run = (cmd: string, args: string[]): string =>
  spawnSync(cmd, args, { encoding: 'utf8' }).stdout;

function fillSource(): void {
  rmSync(fsPath(ROOT), { recursive: true, force: true });
  mkdirSync(fsPath(join(ROOT, DIR)), { recursive: true });
  NAMES.forEach((n, i) => {
    if (n !== DIR) writeFileSync(fsPath(join(ROOT, n)), `v${i} ${n}`);
  });
  writeFileSync(fsPath(join(ROOT, DIR, raw('inside \xfc`x`'))), 'inside');
}

/** Names PWNED or PWNED_* anywhere under the temp dir (what a shell running a name would make). */
const pwned = (): string[] =>
  [...readTree(tmp.path, { bytes: true }).keys()]
    .filter((p) => ['PWNED', ...PWNED_FILES].includes(p.split('/').at(-1) ?? ''))
    .map(shownKey);

test('every shell rebuilds each name byte for byte from the fail log; deletions too; nothing runs', async () => {
  const found = shells();
  assert.ok(
    found.some((s) => s.shell === 'sh'),
    'sh is always there',
  );
  fillSource();
  const config = makeConfig({ userDefinedPort: { enabled: true, port: daemon.port } }, true, {
    root: ROOT,
    remotes: [{ ip: '127.0.0.1', name: 'bytes' }],
  });
  const runner = createBatchRunner({
    config,
    rsyncPath: 'rsync',
    logger: memoryLogger(),
    pool: { run: () => Promise.reject(new Error('unused')) },
    failLog: { record: () => undefined, resolve: () => undefined },
  });
  const path = join(tmp.path, 'rsync_fail_log.sh');
  const log = createFailLogFile({ path, commandFor: runner.commandFor, maxPathsPerEntry: 7 });
  log.record(target, NAMES, 2560);
  await log.flush();

  // The file is plain UTF-8 text, and our own parser reads back exactly the recorded bytes.
  const bytes = readFileSync(path);
  assert.equal(bytes.toString('utf8'), decodeName(bytes), 'no raw byte in the file');
  const parsed = parseFailLog(decodeName(bytes));
  assert.ok(parsed.every((p) => p.kind === 'ours' && p.cwd === ROOT));
  const back = parsed.flatMap((p) =>
    p.kind === 'ours' ? (replayTargets(p.argv)?.paths ?? []) : [],
  );
  assert.deepEqual(
    back.map(encodeName).sort((x, y) => Buffer.compare(x, y)),
    NAMES.map(encodeName).sort((x, y) => Buffer.compare(x, y)),
  );

  const gone = [RAW_HOSTILE[0] ?? '', RAW_HOSTILE[3] ?? '', HOSTILE[3] ?? '', DIR];
  for (const { shell, locale } of found) {
    const what = `${shell} LC_ALL=${locale}`;
    const sh = (): void => {
      const r = spawnSync(shell, [path], {
        cwd: tmp.path,
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: locale },
      });
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stderr, '', what);
    };
    fillSource();
    rmSync(DST, { recursive: true, force: true });
    mkdirSync(DST);
    sh();
    assert.deepEqual(diffTrees(encodeName(ROOT), DST, { bytes: true }), [], what);
    assert.equal(readTree(DST, { bytes: true }).size, NAMES.length + 1, what);
    for (const n of gone) rmSync(fsPath(join(ROOT, n)), { recursive: true });
    sh();
    assert.deepEqual(
      diffTrees(encodeName(ROOT), DST, { bytes: true }),
      [],
      `${what}, after deletions`,
    );
    assert.deepEqual(pwned(), [], what);
  }
});
