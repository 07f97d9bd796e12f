// Directory renames (issue 6 (e)): `mv d/old d/new` must not send the files again. The service
// runs against a real loopback rsync daemon; "nothing sent" is read from the daemon's own log
// (`received N bytes` per connection) and, with delete on, from the target's inodes (a file sent
// again is written to a new inode; one hard-linked from the old copy keeps it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

const FILES = 200;
const FILE_BYTES = 4096; // random: -z cannot shrink it
const TOTAL = FILES * FILE_BYTES;

/** Bytes the daemon received on the connections logged after `offset` (its log text length). */
function receivedSince(rsyncd: Rsyncd, offset: number): number {
  const text = readFileSync(rsyncd.logFile, 'utf8').slice(offset);
  return [...text.matchAll(/received (\d+) bytes/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The daemon log's length once every transfer in it logged its byte counts (it does so after the client saw the end). */
async function settledLog(rsyncd: Rsyncd): Promise<number> {
  return eventually(
    () => {
      const text = readFileSync(rsyncd.logFile, 'utf8');
      const pids = (re: RegExp): Set<string> =>
        new Set([...text.matchAll(re)].map((m) => m[1] ?? ''));
      const done = pids(/\[(\d+)\] sent \d+ bytes/g);
      const open = [...pids(/\[(\d+)\] rsync to /g)].filter((pid) => !done.has(pid));
      return open.length === 0 ? text.length : null;
    },
    { timeoutMs: 5000, what: 'every transfer logged its byte counts' },
  );
}

function inodes(dir: string): Map<string, number> {
  return new Map(
    readdirSync(dir)
      .filter((n) => n.startsWith('f'))
      .map((n) => [n, statSync(join(dir, n)).ino]),
  );
}

for (const del of [true, false]) {
  describe(`directory rename, delete ${del ? 'on (--link-dest)' : 'off (--copy-dest)'}`, () => {
    const tmp = tmpDir();
    const src = join(tmp.path, 'src');
    const dst = join(tmp.path, 'dst');
    let rsyncd: Rsyncd;
    let service: Service;
    // With delete off the target keeps what the source lost, so compare only what the source has.
    const converged = (what: string): Promise<unknown> =>
      eventually(
        () => {
          const d = diffTrees(src, dst).filter((l) => del || !l.startsWith('extra at target: '));
          if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
          return true;
        },
        { timeoutMs: 15_000, what: `${what}: target == source` },
      );

    before(async () => {
      mkdirSync(join(src, 'd', 'old', 'sub'), { recursive: true });
      for (let i = 0; i < FILES; i++)
        writeFileSync(
          join(src, 'd', 'old', i % 10 === 0 ? 'sub' : '', `f${i}`),
          randomBytes(FILE_BYTES),
        );
      rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
      service = await startService(
        tmp.path,
        confXml({
          roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
          port: rsyncd.port,
          failLog: join(tmp.path, 'fail.sh'),
          watcher: 'inotify',
          inotify: { delete: del },
          commonParams: '-artz',
        }),
        ['-r'],
      );
    });
    after(async () => {
      const code = await service.stop();
      await rsyncd.stop();
      tmp.cleanup();
      assert.equal(code, 0, `service exit code (output:\n${service.output()})`);
    });

    it(`a renamed ${FILES}-file directory arrives without its file data being sent again`, async () => {
      await converged('-r');
      const before = inodes(join(dst, 'd', 'old'));
      assert.equal(before.size, FILES - FILES / 10);
      const offset = await settledLog(rsyncd);
      renameSync(join(src, 'd', 'old'), join(src, 'd', 'new'));
      await converged('rename');
      await eventually(
        () =>
          service.output().includes(`rename "d/old" -> "d/new" (${del ? 'link' : 'copy'}), exit 0`),
        {
          timeoutMs: 5000,
          what: `the rename run in the service log:\n${service.output()}`,
        },
      );
      await settledLog(rsyncd);
      const received = receivedSince(rsyncd, offset);
      assert.ok(
        received < TOTAL / 10,
        `the daemon received ${received} bytes for ${TOTAL} bytes of files\n${service.output()}\n${readFileSync(rsyncd.logFile, 'utf8').slice(offset)}`,
      );
      const after = inodes(join(dst, 'd', 'new'));
      assert.equal(after.size, before.size);
      for (const [name, ino] of before) {
        // delete on: hard-linked from the old copy (same inode); off: an independent local copy.
        if (del) assert.equal(after.get(name), ino, name);
        else assert.notEqual(after.get(name), ino, name);
      }
      if (!del) assert.equal(statSync(join(dst, 'd', 'old', 'f1')).nlink, 1);
    });

    it('writes inside the renamed directory and a second rename still converge', async () => {
      writeFileSync(join(src, 'd', 'new', 'f1'), 'rewritten');
      writeFileSync(join(src, 'd', 'new', 'sub', 'added'), 'added');
      await converged('write inside');
      renameSync(join(src, 'd', 'new'), join(src, 'd', 'newer'));
      writeFileSync(join(src, 'd', 'newer', 'f2'), 'written right after the rename');
      await converged('rename, then write');
      if (!del)
        assert.equal(
          readFileSync(join(dst, 'd', 'old', 'f1')).length,
          FILE_BYTES,
          'the old copy kept its content',
        );
    });
  });
}
