// End to end with the config options users rely on: <filter> excludes (realtime, new directories
// and -r), auth with a secrets file, two remotes, delete switched off, and the fail log when the
// rsync daemon is down. Real loopback rsync daemon; waits are conditions with deadlines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';
import { decodeName, encodeName } from '../../src/util/byte-names.js';

const equal = (src: string, dst: string, ignore?: (p: string) => boolean) => (): boolean => {
  const d = diffTrees(src, dst, ignore ? { ignore } : {});
  if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
  return true;
};

describe('filter excludes hold for events, new directories and -r', () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  let rsyncd: Rsyncd;
  before(async () => {
    rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  });
  after(async () => {
    await rsyncd.stop();
    tmp.cleanup();
  });

  it('never sends excluded paths, sends everything else (template expressions)', async () => {
    mkdirSync(join(src, 'info'), { recursive: true });
    mkdirSync(join(src, 'keep', '.svn'), { recursive: true });
    writeFileSync(join(src, 'info', 'secret.txt'), 'x');
    writeFileSync(join(src, 'keep', 'a.gz'), 'x');
    writeFileSync(join(src, 'keep', 'ok.txt'), 'x');
    writeFileSync(join(src, '.htaccess'), 'dotfiles are synced');
    const excluded = (p: string): boolean =>
      /(^|\/)\.svn(\/|$)/.test(p) || p.endsWith('.gz') || p === 'info' || p.startsWith('info/');
    const svc = await startService(
      tmp.path,
      confXml({
        roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
        port: rsyncd.port,
        failLog: join(tmp.path, 'fail.sh'),
        excludes: ['(.*)\\.svn', '(.*)\\.gz', '^info/*', '^static/*'],
      }),
      ['-r'],
    );
    try {
      await eventually(equal(src, dst, excluded), { timeoutMs: 15_000, what: '-r with excludes' });
      // A new directory with excluded content inside: the recursive sync must honour the excludes.
      mkdirSync(join(src, 'newdir', 'sub'), { recursive: true });
      writeFileSync(join(src, 'newdir', 'sub', 'b.gz'), 'x');
      writeFileSync(join(src, 'newdir', 'sub', 'b.txt'), 'x');
      mkdirSync(join(src, 'static'));
      writeFileSync(join(src, 'static', 's.css'), 'x');
      writeFileSync(join(src, 'info', 'later.txt'), 'x');
      const excluded2 = (p: string): boolean =>
        excluded(p) || p === 'static' || p.startsWith('static/');
      await eventually(equal(src, dst, excluded2), {
        timeoutMs: 15_000,
        what: 'realtime with excludes',
      });
      for (const p of ['info', 'keep/a.gz', 'keep/.svn', 'newdir/sub/b.gz', 'static']) {
        assert.equal(existsSync(join(dst, p)), false, `${p} must not reach the target`);
      }
      assert.equal(readFileSync(join(dst, '.htaccess'), 'utf8'), 'dotfiles are synced');
    } finally {
      assert.equal(await svc.stop(), 0);
    }
  });
});

describe('auth with a secrets file, two remotes', () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  const dst1 = join(tmp.path, 'dst1');
  const dst2 = join(tmp.path, 'dst2');
  let rsyncd: Rsyncd;
  const PASSWORD = 'pa55-Word_that-must-not-leak';
  before(async () => {
    rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [
      { name: 'one', path: dst1, auth: { user: 'syncer', password: PASSWORD } },
      { name: 'two', path: dst2, auth: { user: 'syncer', password: PASSWORD } },
    ]);
    mkdirSync(src);
  });
  after(async () => {
    await rsyncd.stop();
    tmp.cleanup();
  });

  it('keeps both targets equal to the source and never logs the password', async () => {
    const pw = join(tmp.path, 'rsync.pas');
    writeFileSync(pw, `${PASSWORD}\n`);
    chmodSync(pw, 0o600);
    const svc = await startService(
      tmp.path,
      confXml({
        roots: [
          {
            watch: src,
            remotes: [
              { ip: '127.0.0.1', name: 'one' },
              { ip: '127.0.0.1', name: 'two' },
            ],
          },
        ],
        port: rsyncd.port,
        failLog: join(tmp.path, 'fail.sh'),
        auth: { user: 'syncer', passwordFile: pw },
        debug: true,
      }),
    );
    try {
      mkdirSync(join(src, 'd'));
      writeFileSync(join(src, 'd', 'f.txt'), 'to both');
      writeFileSync(join(src, 'top.txt'), 'top');
      await eventually(equal(src, dst1), { timeoutMs: 15_000, what: 'remote one' });
      await eventually(equal(src, dst2), { timeoutMs: 15_000, what: 'remote two' });
      rmSync(join(src, 'd'), { recursive: true });
      await eventually(equal(src, dst1), { timeoutMs: 15_000, what: 'remote one after delete' });
      await eventually(equal(src, dst2), { timeoutMs: 15_000, what: 'remote two after delete' });
    } finally {
      assert.equal(await svc.stop(), 0);
    }
    assert.ok(!svc.output().includes(PASSWORD), 'the password must not appear in any output');
    assert.match(
      svc.output(),
      /--password-file=/,
      'debug shows the argv (with the file name only)',
    );
  });
  it('reads a password file whose path has raw bytes (through its alias in the state dir)', async () => {
    const dir = join(tmp.path, `auth${decodeName(Buffer.of(0xe9))}`);
    mkdirSync(encodeName(dir), { recursive: true });
    const pw = `${dir}/rsync${decodeName(Buffer.of(0xfc))}.pas`;
    writeFileSync(encodeName(pw), `${PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(join(src, 'raw-auth.txt'), 'through the alias');
    const svc = await startService(
      tmp.path,
      confXml({
        roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'one' }] }],
        port: rsyncd.port,
        failLog: join(tmp.path, 'fail2.sh'),
        auth: { user: 'syncer', passwordFile: pw },
      }),
      ['-r'],
    );
    try {
      await eventually(equal(src, dst1), { timeoutMs: 15_000, what: 'the -r push with auth' });
      writeFileSync(join(src, 'later.txt'), 'realtime with auth');
      await eventually(equal(src, dst1), { timeoutMs: 15_000, what: 'a realtime change' });
    } finally {
      assert.equal(await svc.stop(), 0, svc.output());
    }
    assert.ok(!svc.output().includes(PASSWORD), 'the password must not appear in any output');
    assert.ok(!svc.output().includes('\ufffd'), svc.output());
  });
});

describe('rsync daemon down: failures are logged, kept and retried', () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  let rsyncd: Rsyncd;
  before(async () => {
    rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
    mkdirSync(src);
  });
  after(async () => {
    await rsyncd.stop();
    tmp.cleanup();
  });

  it('writes a 0600 fail log while down and converges once the daemon is back', async () => {
    const failLog = join(tmp.path, 'rsync_fail_log.sh');
    const svc = await startService(
      tmp.path,
      confXml({
        roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
        port: rsyncd.port,
        failLog,
      }),
    );
    try {
      await rsyncd.stop();
      writeFileSync(join(src, 'while-down.txt'), 'x');
      await eventually(
        () => existsSync(failLog) && readFileSync(failLog, 'utf8').includes('#errno'),
        {
          timeoutMs: 15_000,
          what: 'a fail-log entry',
        },
      );
      assert.equal(statSync(failLog).mode & 0o777, 0o600);
      assert.match(readFileSync(failLog, 'utf8'), /while-down\.txt/);
      await rsyncd.start();
      await eventually(equal(src, dst), {
        timeoutMs: 30_000,
        what: 'convergence after the daemon is back',
      });
      await eventually(() => !readFileSync(failLog, 'utf8').includes('#errno'), {
        timeoutMs: 10_000,
        what: 'the fail log to empty',
      });
    } finally {
      assert.equal(await svc.stop(), 0);
    }
  });
});
