// Names are bytes (issue 12), end to end against a real loopback rsync daemon: file and directory
// names that are not UTF-8 (Latin-1, GBK), mixed with hostile characters, are synced in realtime
// by the service as a user runs it; renames of synced files and directories to such names; writes
// inside a renamed directory later; deletes; and a watch root whose own name is GBK bytes (config
// built programmatically, pipeline in-process). Trees are compared by their BYTE names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees, readTree } from '../helpers/tree.js';
import { testConfig } from '../helpers/config-fixture.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { startPipeline, type Pipeline } from '../../src/pipeline.js';
import { countEntries, lookAt } from '../../src/pipeline/root-probe.js';
import type { Config } from '../../src/config/types.js';
import { decodeName } from '../../src/util/byte-names.js';

/** The raw bytes of `dir/rel`, `rel` written with one character per byte (latin1). */
const at = (dir: string | Buffer, rel: string): Buffer =>
  Buffer.concat([
    typeof dir === 'string' ? Buffer.from(dir) : dir,
    Buffer.from(`/${rel}`, 'latin1'),
  ]);

/** Waits until `dst` equals `src` byte for byte (names, types, contents). */
function converged(
  src: string | Buffer,
  dst: string,
  what: string,
  log: () => string,
): Promise<unknown> {
  return eventually(
    () => {
      const d = diffTrees(src, dst, { bytes: true });
      if (d.length > 0) throw new Error(d.slice(0, 6).join('; '));
      return true;
    },
    { timeoutMs: 20_000, what: `${what}: target == source by bytes\n${log()}` },
  );
}

const has = (dst: string, rel: string): boolean => readTree(dst, { bytes: true }).has(rel);

// Latin-1 and GBK names, and raw bytes mixed with a newline, quotes, `$(...)`, a leading `-`.
const NAMES = [
  'caf\xe9.txt',
  '\xc4\xe3\xba\xc3.txt', // GBK 你好
  'ok-utf8-\xc3\xa9.txt', // UTF-8 é, for contrast
  '-lead\xfc',
  'new\nline\xe9',
  'quo"te\'s\xfc',
  '$(touch pwned)\xfc',
  'back\\#101slash\xfc', // rsync prints a literal \#ooo escaped
];

describe('non-UTF-8 names sync in realtime (service, rsync daemon)', () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  let rsyncd: Rsyncd;
  let service: Service;
  const log = (): string => service.output();

  before(async () => {
    mkdirSync(join(src, 'photos'), { recursive: true });
    writeFileSync(join(src, 'good.txt'), 'good');
    writeFileSync(join(src, 'photos', 'p1.jpg'), 'p1');
    rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
    service = await startService(
      tmp.path,
      confXml({
        roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
        port: rsyncd.port,
        failLog: join(tmp.path, 'fail.sh'),
        watcher: 'inotify',
        inotify: { delete: true },
      }),
      ['-r'],
    );
    await converged(src, dst, '-r', log);
  });
  after(async () => {
    const code = await service.stop();
    await rsyncd.stop();
    tmp.cleanup();
    assert.equal(code, 0, `service exit code (output:\n${service.output()})`);
  });

  it('files and directories with Latin-1, GBK and hostile names arrive with their exact bytes', async () => {
    for (const n of NAMES) writeFileSync(at(src, n), `content of ${n}`);
    mkdirSync(at(src, 'dir\xe9/\xd6\xd0\xce\xc4'), { recursive: true }); // GBK 中文 below Latin-1
    writeFileSync(at(src, 'dir\xe9/\xd6\xd0\xce\xc4/f\xfc'), 'deep');
    await converged(src, dst, 'creates', log);
    assert.ok(has(dst, '\xc4\xe3\xba\xc3.txt'), 'the GBK name arrived as its bytes');
    assert.ok(!has(dst, 'pwned'), 'nothing ran');
  });

  it('mv good.txt good\\xfc.txt: the target has the new name and not the old', async () => {
    renameSync(join(src, 'good.txt'), at(src, 'good\xfc.txt'));
    await converged(src, dst, 'rename of a file', log);
    assert.ok(has(dst, 'good\xfc.txt') && !has(dst, 'good.txt'));
  });

  it('mv photos fotos\\xe9 of a synced directory, then a write inside it later, both sync', async () => {
    renameSync(join(src, 'photos'), at(src, 'fotos\xe9'));
    await converged(src, dst, 'rename of a directory', log);
    assert.ok(has(dst, 'fotos\xe9/p1.jpg') && !has(dst, 'photos'));
    writeFileSync(at(src, 'fotos\xe9/later\xc4\xe3.jpg'), 'written later');
    writeFileSync(at(src, 'fotos\xe9/p1.jpg'), 'p1 rewritten');
    await converged(src, dst, 'writes inside the renamed directory', log);
  });

  it('deletes of non-UTF-8 files and directories reach the target', async () => {
    rmSync(at(src, 'caf\xe9.txt'));
    rmSync(at(src, 'new\nline\xe9'));
    rmSync(at(src, 'dir\xe9'), { recursive: true });
    await converged(src, dst, 'deletes', log);
    assert.ok(!has(dst, 'dir\xe9') && !has(dst, 'caf\xe9.txt'));
  });

  it('log lines show the names escaped, never lossy', () => {
    assert.doesNotMatch(log(), /\ufffd/, 'no U+FFFD in the log');
    assert.ok(log().includes('+"good\\xfc.txt"'), `the batch line names good\\xfc.txt:\n${log()}`);
    const forged = log()
      .split('\n')
      .filter((l) => l.startsWith('line'));
    assert.deepEqual(forged, [], 'a newline in a name never starts a log line');
  });
});

describe('a watch root whose own name is GBK bytes (config built in code)', () => {
  const tmp = tmpDir();
  const srcBytes = at(tmp.path, 'src\xd4\xb4'); // GBK 源
  const src = decodeName(srcBytes);
  const dst = join(tmp.path, 'dst');
  let rsyncd: Rsyncd;
  let pipeline: Pipeline | undefined;
  const logger = memoryLogger();
  const log = (): string => logger.lines.join('\n');

  before(async () => {
    mkdirSync(at(srcBytes, 'sub\xe9'), { recursive: true });
    writeFileSync(at(srcBytes, 'sub\xe9/before\xfc'), 'there before the start');
    rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
    const base = testConfig({
      roots: [src],
      remotes: [{ ip: '127.0.0.1', name: 'mod' }],
      rsync: { userDefinedPort: { enabled: true, port: rsyncd.port } },
      inotify: { delete: true },
    });
    const state = join(tmp.path, 'state');
    mkdirSync(state);
    const config: Config = {
      ...base,
      sersync: {
        ...base.sersync,
        failLog: { ...base.sersync.failLog, stateDir: state, path: join(state, 'fail.sh') },
      },
    };
    const started = await startPipeline(
      config,
      { threads: 2, fullSyncAtStart: 'rsync-first', rsyncPath: 'rsync', testHooks: false },
      logger,
    );
    if (!started.ok)
      throw new Error(`pipeline did not start: ${JSON.stringify(started.error)}\n${log()}`);
    pipeline = started.value;
  });
  after(async () => {
    await pipeline?.stop(5000);
    await rsyncd.stop();
    tmp.cleanup();
  });

  it('the root guard sees the root as it is (a directory with entries, counted)', async () => {
    assert.equal(lookAt(src).kind, 'dir');
    assert.equal(await countEntries(src, [], false), 2);
  });

  it('the first full sync, realtime creates, a rename and a delete all run in the root', async () => {
    await converged(srcBytes, dst, 'full sync of the root', log);
    writeFileSync(at(srcBytes, 'new\xc4\xe3'), 'new');
    writeFileSync(at(srcBytes, 'sub\xe9/more'), 'more');
    await converged(srcBytes, dst, 'realtime in a GBK root', log);
    renameSync(at(srcBytes, 'sub\xe9'), at(srcBytes, 'moved\xfc'));
    rmSync(at(srcBytes, 'new\xc4\xe3'));
    await converged(srcBytes, dst, 'rename and delete in a GBK root', log);
  });
});
