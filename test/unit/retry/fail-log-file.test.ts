// The fail-log writer: at most one write per interval (fake clock), appends for new failures,
// a rewrite only when entries were resolved, and the entries sersync2 left in the file read
// back (its exact bytes, sersync-observed.md §6) and kept until resolved.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../../src/queue/types.js';
import { createFailLogFile } from '../../../src/retry/fail-log-file.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { tmpDir } from '../../helpers/tmp.js';

const tmp = tmpDir('sersync-faillogfile-');
after(tmp.cleanup);
const ROOT = join(tmp.path, 'root');
mkdirSync(join(ROOT, 'd'), { recursive: true });
const target: Target = { key: `${ROOT}\u00000`, root: ROOT, remoteIndex: 0 };
const commandFor = (_t: Target, paths: readonly string[]) => ({
  cwd: ROOT,
  argv: ['rsync', '-artuz', '-R', '--', ...paths.map((p) => `./${p}`), '127.0.0.1::tongbu1'],
});

function writer(name: string, clock: FakeClock) {
  const path = join(tmp.path, name);
  const writes: string[] = [];
  const warnings: string[] = [];
  const log = createFailLogFile({
    path,
    commandFor,
    clock,
    minIntervalMs: 3000,
    onWritten: (how) => writes.push(`${clock.now()} ${how}`),
    onWarning: (m) => warnings.push(m),
  });
  return { path, log, writes, warnings, text: () => readFileSync(path, 'utf8') };
}

test('writes at most once per interval: a burst is one write, a resolve waits for the interval, flush writes at once', async () => {
  const clock = new FakeClock(10_000);
  const w = writer('throttle.sh', clock);
  w.log.record(target, ['a'], 2560);
  await clock.advance(0);
  assert.deepEqual(w.writes, ['10000 rewrite']);
  for (let i = 0; i < 50; i++) {
    w.log.record(target, [`b${i}`], 2560);
    await clock.advance(20);
  }
  assert.deepEqual(w.writes, ['10000 rewrite'], 'nothing before the interval is over');
  await clock.advance(2000);
  assert.deepEqual(w.writes, ['10000 rewrite', '13000 append'], 'one write for the burst');
  const ino = statSync(w.path).ino;
  const before = w.text();
  w.log.record(target, ['c'], 3072);
  await clock.advance(2500);
  assert.equal(w.writes.length, 2);
  await clock.advance(500);
  assert.deepEqual(w.writes.at(-1), '16000 append');
  assert.ok(w.text().startsWith(before), 'appended: tail -f sees only the new entry');
  assert.equal(statSync(w.path).ino, ino);
  w.log.resolve(target, ['a', 'b0']);
  await clock.advance(2999);
  assert.equal(w.writes.length, 3);
  await w.log.flush();
  assert.deepEqual(w.writes.at(-1), '18999 rewrite');
  assert.equal(statSync(w.path).ino, ino, 'rewritten in place (our own file)');
  assert.ok(!w.text().includes('./a '), w.text());
  assert.ok(!w.text().includes('./b0 '));
  assert.ok(w.text().includes('./b1 '));
  await w.log.flush();
  assert.equal(w.writes.length, 4, 'nothing to write: no write');
});

test('a path recorded and resolved before it reached the file costs no rewrite', async () => {
  const clock = new FakeClock();
  const w = writer('quick.sh', clock);
  w.log.record(target, ['x'], 2560);
  await clock.advance(0);
  w.log.record(target, ['y'], 2560);
  w.log.resolve(target, ['y']);
  await clock.advance(5000);
  assert.deepEqual(w.writes, ['0 rewrite', '3000 append']);
});

const ORIGINAL = [
  '#errno 2560',
  `cd ${ROOT} && rsync -artuz -R "./A.txt" 127.0.0.1::tongbu1 >/dev/null 2>&1 `,
  '',
  '#errno 2560',
  `cd ${ROOT} && rsync -artuz -R --delete ./   --include="d/" --include="d/B.txt" --exclude=*  127.0.0.1::tongbu1 >/dev/null 2>&1 `,
  '',
  '#errno 3072',
  `cd ${ROOT} && rsync -artuz -R "./sp dir/cost \\$5.txt" 127.0.0.1::tongbu1 >/dev/null 2>&1 `,
  '',
  '#errno 1280',
  'cd /opt/tongbu && rsync -artuz -R "./M.txt" sersyncuser@127.0.0.1::nomod --password-file=/etc/rsync.pas',
  '',
  '',
].join('\n');

test("sersync2's entries are queued, kept byte for byte, appended after, and removed only when resolved", async () => {
  writeFileSync(join(ROOT, 'A.txt'), 'a');
  mkdirSync(join(ROOT, 'sp dir'));
  writeFileSync(join(ROOT, 'sp dir', 'cost $5.txt'), 'c');
  const path = join(tmp.path, 'rsync_fail_log.sh');
  writeFileSync(path, ORIGINAL, { mode: 0o600 });
  const clock = new FakeClock();
  const w = writer('rsync_fail_log.sh', clock);
  const got = w.log.inherited([target]);
  assert.deepEqual(
    got.map((c) => [c.change.path, c.change.op, c.change.isDir, c.status]),
    [
      ['A.txt', 'upsert', false, 2560],
      ['d/B.txt', 'remove', false, 2560],
      ['sp dir/cost $5.txt', 'upsert', false, 3072],
    ],
  );
  assert.equal(w.text(), ORIGINAL, 'not overwritten at start');
  w.log.record(target, ['new.txt'], 2560);
  await w.log.flush();
  assert.ok(w.text().startsWith(ORIGINAL), 'our first write appends');
  assert.match(
    w.text().slice(ORIGINAL.length),
    /^#errno 2560\ncd -- .* \.\/new\.txt 127\.0\.0\.1::tongbu1\n\n$/,
  );
  w.log.resolve(target, ['A.txt', 'new.txt']);
  await w.log.flush();
  const text = w.text();
  assert.ok(!text.includes('A.txt') && !text.includes('new.txt'), text);
  assert.ok(text.includes('./d/B.txt'), 'still outstanding');
  assert.ok(text.includes('127.0.0.1::nomod'), 'another destination: kept as it was');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  w.log.resolve(target, ['d/B.txt', 'sp dir/cost $5.txt']);
  await w.log.flush();
  assert.equal(
    w.text(),
    '#errno 1280\ncd /opt/tongbu && rsync -artuz -R "./M.txt" sersyncuser@127.0.0.1::nomod --password-file=/etc/rsync.pas\n\n',
  );
});

test("the original's world-writable file (chmod 777): paths still queued, text we do not understand dropped, mode 0600", async () => {
  const path = join(tmp.path, 'open.sh');
  writeFileSync(path, `${ORIGINAL}touch /tmp/PWNED\n`);
  chmodSync(path, 0o777);
  const clock = new FakeClock();
  const w = writer('open.sh', clock);
  assert.equal(w.log.inherited([target]).length, 3);
  assert.match(w.warnings.join('\n'), /writable by other users: 2 entr/);
  await clock.advance(0);
  assert.deepEqual(w.writes, ['0 rewrite']);
  assert.ok(!w.text().includes('PWNED') && !w.text().includes('nomod'), w.text());
  assert.ok(w.text().includes('./A.txt'));
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('raw bytes: sersync2 entries with non-UTF-8 names are queued, kept verbatim byte for byte, ours read back', async () => {
  const latin = Buffer.from('good\xfc.txt', 'latin1');
  writeFileSync(Buffer.concat([Buffer.from(`${ROOT}/`), latin]), 'x');
  const original = Buffer.concat([
    Buffer.from(`#errno 2560\ncd ${ROOT} && rsync -artuz -R "./`),
    latin,
    Buffer.from(
      '" 127.0.0.1::tongbu1 >/dev/null 2>&1 \n\n#errno 1280\ncd /elsewhere && rsync -R "./',
    ),
    Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
    Buffer.from('" 127.0.0.1::other\n\n'),
  ]);
  const path = join(tmp.path, 'raw.sh');
  writeFileSync(path, original, { mode: 0o600 });
  const clock = new FakeClock();
  const w = writer('raw.sh', clock);
  const got = w.log.inherited([target]);
  assert.deepEqual(
    got.map((c) => [encodeName(c.change.path), c.change.op]),
    [[latin, 'upsert']],
  );
  // A rewrite keeps the other destination's entry as its exact bytes, and renders ours as text.
  const gbk = decodeName(Buffer.from([0xb0, 0xa1, 0x2e, 0x74]));
  w.log.record(target, [gbk], 2560);
  w.log.resolve(target, [decodeName(latin)]);
  await w.log.flush();
  const bytes = readFileSync(path);
  assert.ok(
    bytes.includes(Buffer.from([0x2e, 0x2f, 0xd6, 0xd0, 0xce, 0xc4, 0x22])),
    'kept verbatim',
  );
  assert.ok(bytes.toString('latin1').includes(`./"$(printf '\\260\\241')".t`), 'ours escaped');
  // The next start reads our entry back as the same bytes.
  writeFileSync(Buffer.concat([Buffer.from(`${ROOT}/`), encodeName(gbk)]), 'y');
  const again = writer('raw.sh', new FakeClock());
  assert.deepEqual(
    again.log.inherited([target]).map((c) => encodeName(c.change.path)),
    [encodeName(gbk)],
  );
});
