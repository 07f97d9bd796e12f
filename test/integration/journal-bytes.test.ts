// Names are bytes across a crash: the real CLI against a real rsync daemon. Pending non-UTF-8
// paths in the journal (left by a kill -9 while the remote was down, or by a previous run killed
// mid-write) reach the target byte for byte at the next start. The ran-before marker is removed
// before that start, so no catch-up full sync runs: the journal alone carries the changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { targetKey } from '../../src/pipeline/targets.js';
import {
  checkHeader,
  decodeRecords,
  encodeRecords,
  JOURNAL_HEADER,
} from '../../src/retry/journal-codec.js';
import { JournalState } from '../../src/retry/journal-state.js';
import { displayName, encodeName, fsPath, type BytePath } from '../../src/util/byte-names.js';
import { diffTrees } from '../helpers/tree.js';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { raw, RAW_HOSTILE } from '../unit/retry/raw-names.js';

const tmp = tmpDir('sersync-journal-bytes-');
let daemon: Rsyncd;
const services: Service[] = [];
let n = 0;

before(async () => {
  daemon = await startRsyncd(
    join(tmp.path, 'rsyncd'),
    ['m1', 'm2'].map((name) => ({ name, path: join(tmp.path, `dst-${name}`) })),
  );
});
after(async () => {
  for (const s of services)
    if (s.proc.exitCode === null && s.proc.signalCode === null) {
      s.proc.kill('SIGKILL');
      await s.stop();
    }
  await daemon.stop();
  tmp.cleanup();
});

/** A case: its source tree, target module, fail log, state dir and config. */
function rig(module: string) {
  const dir = join(tmp.path, `case-${++n}`);
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  const failLog = join(dir, 'rsync_fail_log.sh');
  const stateDir = join(dir, 'state');
  const xml = confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: module }] }],
    port: daemon.port,
    failLog,
    stateDir,
    watcher: 'inotify',
    commonParams: '-artz',
  });
  const start = async (): Promise<Service> => {
    const s = await startService(dir, xml);
    services.push(s);
    return s;
  };
  return {
    dir,
    src,
    dst: join(tmp.path, `dst-${module}`),
    stateDir,
    start,
    key: targetKey(src, 0),
  };
}

/** The outstanding paths the journal file in `stateDir` holds for `key`, as the next start reads them. */
function journalled(stateDir: string, key: string): BytePath[] {
  const bytes = readFileSync(join(stateDir, 'journal'));
  assert.equal(checkHeader(bytes), 'ok');
  const state = new JournalState();
  for (const r of decodeRecords(bytes.subarray(JOURNAL_HEADER.length)).records) state.apply(r);
  return (state.outstanding().get(key) ?? []).map((p) => p.path);
}

async function converged(src: string, dst: string, what: string): Promise<void> {
  await eventually(
    () => {
      const d = diffTrees(encodeName(src), encodeName(dst), { bytes: true });
      if (d.length > 0) throw new Error(`${d.length} difference(s): ${d.slice(0, 5).join('; ')}`);
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${what}: target == source (by bytes)` },
  );
}

const DIR = raw('fotos\xe9');
const INSIDE = [raw('bild\xfc.jpg'), raw('\xd6\xd0\xce\xc4.txt'), 'plain.txt'];

function writeNames(src: string): BytePath[] {
  mkdirSync(fsPath(join(src, DIR)));
  for (const name of INSIDE) writeFileSync(fsPath(join(src, DIR, name)), `in ${name}`);
  RAW_HOSTILE.forEach((name, i) => {
    writeFileSync(fsPath(join(src, name)), `v${i}`);
  });
  return [DIR, ...RAW_HOSTILE];
}

test('kill -9 with non-UTF-8 paths pending (remote down), restart with it up: the target equals the source by bytes', async () => {
  const r = rig('m1');
  await daemon.stop();
  let restarted = false;
  try {
    const first = await r.start();
    const names = writeNames(r.src);
    // Journalled (fsync'd within 50 ms of entering the queue), while every run fails.
    await eventually(
      () => {
        const got = new Set(
          journalled(r.stateDir, r.key).map((p) => encodeName(p).toString('hex')),
        );
        const missing = names.filter((p) => !got.has(encodeName(p).toString('hex')));
        if (missing.length > 0)
          throw new Error(`not journalled: ${missing.map(displayName).join(', ')}`);
        return true;
      },
      { timeoutMs: 20_000, what: 'every new name pending in the journal' },
    );
    first.proc.kill('SIGKILL');
    await first.stop();
    rmSync(join(r.stateDir, 'ran-before')); // no catch-up full sync: only the journal replays
    await daemon.start();
    restarted = true;
    const second = await r.start();
    await converged(r.src, r.dst, 'restart after kill -9');
    await eventually(
      () => {
        const left = journalled(r.stateDir, r.key);
        if (left.length > 0) throw new Error(left.map(displayName).join(', '));
        return true;
      },
      { what: 'the journal to hold nothing outstanding (done records written)' },
    );
    assert.equal(await second.stop(), 0, second.output());
  } finally {
    if (!restarted) await daemon.start();
  }
});

test('a journal a killed run left (non-UTF-8 pending paths, a torn last record) is replayed byte for byte', async () => {
  const r = rig('m2');
  const names = writeNames(r.src);
  mkdirSync(r.stateDir, { recursive: true, mode: 0o700 });
  const records = encodeRecords(
    names.map((path) => ({
      kind: 'pending',
      targetKey: r.key,
      path,
      op: 'upsert',
      isDir: path === DIR,
    })),
  );
  const torn = encodeRecords([{ kind: 'pending', targetKey: r.key, path: raw('torn\xfc') }]);
  writeFileSync(
    join(r.stateDir, 'journal'),
    Buffer.concat([JOURNAL_HEADER, records, torn.subarray(0, torn.length - 3)]),
    { mode: 0o600 },
  );
  const svc = await r.start();
  await converged(r.src, r.dst, 'replay at start');
  assert.equal(await svc.stop(), 0, svc.output());
});
