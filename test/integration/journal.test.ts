// The durable journal on a real file system: records survive a reopen and a SIGKILL mid-write,
// a torn tail is cut, the file is compacted, the state dir is 0700 and refused when unusable.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  openJournal,
  JOURNAL_FILE,
  type Journal,
  type JournalRecord,
  type OutstandingPath,
} from '../../src/retry/journal.js';
import {
  checkHeader,
  decodeRecords,
  encodedSize,
  encodeRecord,
  JOURNAL_HEADER,
} from '../../src/retry/journal-codec.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/eventually.js';
import { HOSTILE } from '../unit/sync/hostile-names.js';
import { V1_FILE, V1_RECORDS } from '../unit/retry/journal-v1-fixture.js';
import { decodeName, encodeName } from '../../src/util/byte-names.js';
import { JournalState } from '../../src/retry/journal-state.js';

const tmp = tmpDir('sersync-journal-it-');
after(() => {
  tmp.cleanup();
});
let n = 0;
const freshDir = (): string => join(tmp.path, `case-${++n}`, 'state');

async function open(dir: string, opts: Parameters<typeof openJournal>[1] = {}): Promise<Journal> {
  const r = await openJournal(dir, opts);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

/** The journal file's records as a reader that is not the writer sees them. */
function onDisk(dir: string): { records: JournalRecord[]; garbageBytes: number; size: number } {
  const bytes = new Uint8Array(readFileSync(join(dir, JOURNAL_FILE)));
  assert.equal(checkHeader(bytes), 'ok');
  return { ...decodeRecords(bytes.subarray(JOURNAL_HEADER.length)), size: bytes.length };
}

const K1 = '/srv/www\u00000';
const K2 = "/srv/it's\u00001";
const pending = (
  targetKey: string,
  path: string,
  op: 'upsert' | 'remove' = 'upsert',
  isDir = false,
): JournalRecord => ({ kind: 'pending', targetKey, path, op, isDir });
const done = (targetKey: string, path: string, subtree = false): JournalRecord => ({
  kind: 'done',
  targetKey,
  path,
  ...(subtree ? { subtree } : {}),
});
const paths = (list: readonly OutstandingPath[] | undefined): string[] =>
  (list ?? []).map((p) => p.path);

test('records survive close and reopen: first-seen order, latest op, done clears; dir 0700, file 0600', async () => {
  const dir = freshDir();
  const j = await open(dir);
  j.append(HOSTILE.map((name, i) => pending(i % 2 === 0 ? K1 : K2, `d/${name}`, 'upsert', false)));
  j.append([
    pending(K1, 'd/with space.txt', 'remove', false),
    pending(K1, 'new\ndir', 'upsert', true),
  ]);
  j.append([done(K2, `d/${HOSTILE[1]!}`), done(K1, 'never pending')]);
  const expected = j.outstanding();
  await j.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(
    statSync(join(dir, '..')).mode & 0o777,
    0o700,
    'parents created on the way are 0700 too',
  );
  assert.equal(statSync(join(dir, JOURNAL_FILE)).mode & 0o777, 0o600);

  const again = await open(dir);
  const got = again.outstanding();
  await again.close();
  assert.deepEqual(got, expected);
  const k1 = HOSTILE.filter((_, i) => i % 2 === 0).map((name) => `d/${name}`);
  assert.deepEqual(paths(got.get(K1)), [...k1, 'new\ndir']);
  assert.deepEqual(got.get(K1)?.[0], { path: 'd/with space.txt', op: 'remove', isDir: false });
  assert.deepEqual(got.get(K1)?.at(-1), { path: 'new\ndir', op: 'upsert', isDir: true });
  assert.deepEqual(
    paths(got.get(K2)),
    HOSTILE.filter((_, i) => i % 2 === 1 && i !== 1).map((name) => `d/${name}`),
  );
});

test('a format-1 journal (previous release) replays, and is rewritten as format 2 before any append', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, JOURNAL_FILE), V1_FILE, { mode: 0o600 });
  const want = new JournalState();
  for (const r of V1_RECORDS) want.apply(r);
  const j = await open(dir, { fsyncMs: 10 });
  assert.deepEqual(j.outstanding(), want.outstanding());
  assert.deepEqual(paths(j.outstanding().get('/srv/it\'s "root"\u00000')), [
    'dir/nl\nname',
    '$(touch PWNED_sub).txt',
    'gone',
  ]);
  // Rewritten at open: format 2 header, the live records only.
  assert.deepEqual(onDisk(dir).records, [...want.records()]);
  const raw = decodeName(Buffer.from('new\xfc', 'latin1'));
  j.append([pending(K1, raw)]);
  await j.close();
  const again = await open(dir);
  assert.deepEqual(paths(again.outstanding().get(K1)), [raw]);
  await again.close();
});

test('non-UTF-8 names and target keys survive close and reopen byte for byte', async () => {
  const dir = freshDir();
  const key = decodeName(Buffer.from('/srv/\xd6\xd0\xce\xc4\u00000', 'latin1'));
  const names = [
    Buffer.from('good\xfc.txt', 'latin1'),
    Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x2f, 0xb0, 0xa1, 0x0a, 0x27]), // GBK dir / GBK + \n + '
    Buffer.from('$(touch PWNED)\xff`x`', 'latin1'),
  ];
  const j = await open(dir);
  j.append(names.map((b) => pending(key, decodeName(b))));
  await j.close();
  const again = await open(dir);
  const got = (again.outstanding().get(key) ?? []).map((p) => encodeName(p.path));
  await again.close();
  assert.deepEqual(got, names);
  // On disk the name is its raw bytes, not UTF-8 of a replacement character.
  const file = readFileSync(join(dir, JOURNAL_FILE));
  assert.ok(file.includes(Buffer.from('good\xfc.txt', 'latin1')));
  assert.ok(!file.includes(Buffer.from('\ufffd')));
});

test('sync() resolves once the records are in the file; no-op records are not written', async () => {
  const dir = freshDir();
  const j = await open(dir, { fsyncMs: 10 });
  j.append([pending(K1, 'a'), pending(K1, 'b', 'remove')]);
  j.append([pending(K1, 'a'), done(K1, 'zzz')]); // same state again; a path never pending
  await j.sync();
  assert.deepEqual(onDisk(dir).records, [pending(K1, 'a'), pending(K1, 'b', 'remove')]);
  j.append([done(K1, 'a')]);
  await j.sync();
  assert.deepEqual(onDisk(dir).records.at(-1), done(K1, 'a'));
  await j.close();
  assert.throws(() => {
    j.append([pending(K1, 'c')]);
  }, /Internal error/);
});

test('a done with subtree clears the path and everything below it, for that target only', async () => {
  const dir = freshDir();
  const j = await open(dir);
  j.append(['a', 'a/b', 'a/b/c', 'ab', 'x/a'].flatMap((p) => [pending(K1, p), pending(K2, p)]));
  j.append([done(K1, 'a', true)]);
  assert.deepEqual(paths(j.outstanding().get(K1)), ['ab', 'x/a']);
  j.append([done(K2, '', true)]);
  assert.equal(j.outstanding().has(K2), false);
  await j.close();
  const again = await open(dir);
  assert.deepEqual(paths(again.outstanding().get(K1)), ['ab', 'x/a']);
  assert.equal(again.outstanding().has(K2), false);
  await again.close();
});

/** The child's deterministic record stream: batch b holds pendings 50b..50b+49 and a done per ten. */
const PAD = 'x'.repeat(1000);
const childPath = (i: number): string => `p\n${i}/${PAD}`;
function childBatch(b: number): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (let i = 50 * b; i < 50 * b + 50; i++) {
    out.push({
      kind: 'pending',
      targetKey: 'T',
      path: childPath(i),
      op: i % 3 === 0 ? 'remove' : 'upsert',
      isDir: i % 2 === 0,
    });
    if (i % 10 === 9) out.push({ kind: 'done', targetKey: 'T', path: childPath(i - 5) });
  }
  return out;
}

const CHILD = `
import { openJournal } from ${JSON.stringify(new URL('../../src/retry/journal.js', import.meta.url).href)};
const r = await openJournal(process.argv[2], { fsyncMs: 2 });
if (!r.ok) { console.error(r.error.message); process.exit(2); }
const j = r.value;
const PAD = 'x'.repeat(1000);
const path = (i) => 'p\\n' + i + '/' + PAD;
for (let b = 0; ; b++) {
  const out = [];
  for (let i = 50 * b; i < 50 * b + 50; i++) {
    out.push({ kind: 'pending', targetKey: 'T', path: path(i), op: i % 3 === 0 ? 'remove' : 'upsert', isDir: i % 2 === 0 });
    if (i % 10 === 9) out.push({ kind: 'done', targetKey: 'T', path: path(i - 5) });
  }
  j.append(out);
  // Keep appending while earlier batches are being written; report batches once synced.
  if (b % 4 === 3) { await j.sync(); process.stdout.write('synced ' + b + '\\n'); }
  else await new Promise((r) => setImmediate(r));
}
`;

test('SIGKILL mid-write: every batch the child reported synced is replayed; the rest is a clean prefix', async (t) => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const script = join(dir, '..', 'child.mjs');
  writeFileSync(script, CHILD);
  // First at once on a report (were the reported batches really written?), then while writing.
  for (const [killAfter, whileWriting] of [
    [7, false],
    [23, true],
  ] as const) {
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let reported = -1;
    let reports = 0;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^synced (\d+)$/.exec(line);
      assert.ok(m, line);
      reported = Number(m[1]);
      if (++reports === killAfter) {
        if (whileWriting) {
          // As soon as the file grows past what was reported (a kill inside a write tears it).
          const size = statSync(join(dir, JOURNAL_FILE)).size;
          await eventually(() => statSync(join(dir, JOURNAL_FILE)).size > size, {
            intervalMs: 0,
            what: 'the child to write',
          });
        }
        child.kill('SIGKILL');
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(reported >= 0);

    const raw = onDisk(dir);
    t.diagnostic(
      `killed after ${killAfter} reports: ${raw.records.length} records, ${raw.garbageBytes} torn bytes`,
    );
    const j = await open(dir);
    const got = j.outstanding().get('T') ?? [];
    await j.close();
    // Model: the child's stream (this run appends after what earlier runs left), cut after
    // some whole record at or after the last reported batch.
    const prefix = onDisk(dir); // compacted at open: exactly the live records
    assert.equal(prefix.garbageBytes, 0);
    assert.equal(
      prefix.size,
      JOURNAL_HEADER.length + got.reduce((s, p) => s + encodedSize('T', p.path), 0),
    );
    const model = new Map<string, OutstandingPath>();
    const stream = Array.from({ length: reported + 40 }, (_, b) => childBatch(b)).flat();
    const apply = (r: JournalRecord): void => {
      if (r.kind === 'done') model.delete(r.path);
      else model.set(r.path, { path: r.path, op: r.op ?? 'upsert', isDir: r.isDir ?? false });
    };
    const mustHave = childBatch(0).length * (reported + 1);
    stream.slice(0, mustHave).forEach(apply);
    const last = got.at(-1)?.path;
    const same = (): boolean =>
      model.size === got.length &&
      [...model.keys()].at(-1) === last &&
      JSON.stringify([...model.values()]) === JSON.stringify(got);
    let k = mustHave;
    while (!same() && k < stream.length) apply(stream[k++]!);
    assert.ok(
      same(),
      `run killed after ${killAfter} reports: the replay is no prefix of the stream at or after batch ${reported}`,
    );
    // Start the next run from an empty journal (the child's paths restart at 0).
    const clear = await open(dir);
    clear.append([done('T', '', true)]);
    await clear.close();
  }
});

test('a torn tail written by hand is ignored, cut at open, and later appends replay', async () => {
  const dir = freshDir();
  const j = await open(dir);
  j.append([pending(K1, 'one'), pending(K1, 'two'), pending(K2, 'three')]);
  await j.close();
  const file = join(dir, JOURNAL_FILE);
  const before = statSync(file).size;
  const torn = encodeRecord(pending(K1, 'four\nfive'));
  appendFileSync(file, torn.subarray(0, torn.length - 3));
  writeFileSync(`${file}.tmp`, 'left over by a crash during compaction');

  const j2 = await open(dir);
  assert.equal(existsSync(`${file}.tmp`), false);
  assert.deepEqual(paths(j2.outstanding().get(K1)), ['one', 'two']);
  assert.equal(statSync(file).size, before, 'the torn bytes are gone');
  j2.append([pending(K1, 'six')]);
  await j2.close();
  const j3 = await open(dir);
  assert.deepEqual(paths(j3.outstanding().get(K1)), ['one', 'two', 'six']);
  assert.deepEqual(paths(j3.outstanding().get(K2)), ['three']);
  await j3.close();
});

test('compaction: a mostly dead file is rewritten to its live records while running and at open', async () => {
  const dir = freshDir();
  const compactAtBytes = 16 * 1024;
  const j = await open(dir, { compactAtBytes, fsyncMs: 1 });
  j.append(['keep/1', 'keep\n2', 'keep/3'].map((p) => pending(K1, p, 'upsert', true)));
  for (let round = 0; round < 300; round++) {
    const churn = Array.from({ length: 10 }, (_, i) => `churn/${round}/${i}/${'y'.repeat(40)}`);
    j.append(churn.map((p) => pending(K2, p)));
    j.append(churn.map((p) => done(K2, p)));
    await j.sync();
    assert.ok(
      statSync(join(dir, JOURNAL_FILE)).size <= compactAtBytes,
      `round ${round}: the file keeps growing`,
    );
  }
  j.append([pending(K2, 'last')]);
  await j.close();
  const disk = onDisk(dir);
  assert.equal(disk.garbageBytes, 0);
  assert.ok(disk.records.length < 200);

  const again = await open(dir);
  assert.deepEqual(
    again.outstanding(),
    new Map([
      [K1, ['keep/1', 'keep\n2', 'keep/3'].map((path) => ({ path, op: 'upsert', isDir: true }))],
      [K2, [{ path: 'last', op: 'upsert', isDir: false }]],
    ]),
  );
  await again.close();
  // Opening compacted whatever was dead: only the four live records are left.
  assert.deepEqual(
    onDisk(dir).records.map((r) => r.path),
    ['keep/1', 'keep\n2', 'keep/3', 'last'],
  );
});

test('state dir: a wider existing mode is narrowed to 0700', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  await (await open(dir)).close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('state dir that cannot be created, or a foreign file in it: a state-dir error, nothing touched', async () => {
  const base = join(tmp.path, `case-${++n}`);
  mkdirSync(base);
  writeFileSync(join(base, 'plain-file'), 'x');
  const r = await openJournal(join(base, 'plain-file', 'state'));
  assert.equal(r.ok, false);
  assert.equal(r.error.kind, 'state-dir');
  assert.match(r.error.message, /plain-file/);

  const dir = join(base, 'state');
  mkdirSync(dir, { mode: 0o700 });
  const foreign = '#errno 2560\ncd -- /srv && rsync -a x y\n\n';
  writeFileSync(join(dir, JOURNAL_FILE), foreign);
  const r2 = await openJournal(dir);
  assert.equal(r2.ok, false);
  assert.equal(r2.error.kind, 'state-dir');
  assert.match(r2.error.message, /header/);
  assert.equal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'), foreign);
});

test('state dir owned by another user is refused (root only: chown)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: cannot chown a directory to another user here');
    return;
  }
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, 65534, 65534);
  const r = await openJournal(dir);
  assert.equal(r.ok, false);
  assert.match(r.error.message, /owned by uid 65534/);
});

test('sync() with nothing appended resolves at once; sync after close resolves', async () => {
  const dir = freshDir();
  const j = await open(dir);
  await j.sync();
  j.append([pending(K1, 'a')]);
  const s = j.sync();
  await j.close();
  await s;
  await j.sync();
  assert.deepEqual(onDisk(dir).records, [pending(K1, 'a')]);
});
