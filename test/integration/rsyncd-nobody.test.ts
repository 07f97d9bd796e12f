// A real rsync daemon running as nobody whose module root (and one directory in it) is root's with
// mode 1777: the files arrive, but rsync exits 23 because it cannot set the times of "." or of the
// implied parent directory. Those runs count as done (no retry loop, an empty fail log) and the
// problem is logged once and shown as lastWarning in /status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { freePort, startRsyncd } from '../helpers/rsyncd.js';
import { confXml, startService } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

interface Remote {
  failures: number;
  consecutiveFailures: number;
  lastWarning: string | null;
}

async function remoteStatus(port: number): Promise<Remote> {
  const r = await fetch(`http://127.0.0.1:${port}/status`);
  const s = (await r.json()) as { remotes: Remote[] };
  const first = s.remotes[0];
  assert.ok(first !== undefined, JSON.stringify(s));
  return first;
}

test(
  'rsync daemon as nobody on a root-owned 1777 module: exit 23 over "." and parents is a warning, not a retry loop',
  { skip: process.getuid?.() !== 0 && 'needs root (a daemon that switches to nobody)' },
  async (t) => {
    const tmp = tmpDir();
    chmodSync(tmp.path, 0o755); // nobody must reach the module
    const src = join(tmp.path, 'src');
    const dst = join(tmp.path, 'dst');
    mkdirSync(join(src, 'sub'), { recursive: true });
    mkdirSync(join(dst, 'sub'), { recursive: true });
    for (const d of [src, dst, join(src, 'sub'), join(dst, 'sub')]) chmodSync(d, 0o1777);
    // sub is identical on both sides at start (only "." differs): the start-up push names ".".
    const then = new Date('2020-01-01T00:00:00Z');
    utimesSync(join(src, 'sub'), then, then);
    utimesSync(join(dst, 'sub'), then, then);
    writeFileSync(join(src, 'seed.txt'), 'seed');
    utimesSync(src, then, then); // "." differs: rsync (as nobody) cannot set the times of dst
    const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }], {
      uid: 'nobody',
      gid: 'nogroup',
    });
    const statusPort = await freePort();
    const failLog = join(tmp.path, 'fail.sh');
    const svc = await startService(
      tmp.path,
      confXml({
        roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
        port: rsyncd.port,
        failLog,
        statusPort,
      }),
      ['-r'],
    );
    t.after(async () => {
      await svc.stop();
      await rsyncd.stop();
      tmp.cleanup();
    });
    await eventually(() => existsSync(join(dst, 'seed.txt')), { what: 'seed.txt by -r' });
    await eventually(
      async () => (await remoteStatus(statusPort)).lastWarning?.includes('"."') === true,
      { what: 'the warning about "." in /status' },
    );

    // A realtime change below sub: rsync cannot set the times of the implied parent "sub".
    writeFileSync(join(src, 'sub', 'f.txt'), 'f');
    await eventually(() => existsSync(join(dst, 'sub', 'f.txt')), { what: 'sub/f.txt' });
    await eventually(
      async () => (await remoteStatus(statusPort)).lastWarning?.includes('"sub"') === true,
      { what: 'the warning about "sub" in /status' },
    );
    writeFileSync(join(src, 'sub', 'g.txt'), 'g');
    await eventually(() => existsSync(join(dst, 'sub', 'g.txt')), { what: 'sub/g.txt' });
    await eventually(() => /2 paths?|1 path/.test(svc.output()) && svc.output().includes('g.txt'), {
      what: 'the run of g.txt in the log',
    });

    const r = await remoteStatus(statusPort);
    assert.equal(r.failures, 0, svc.output());
    assert.equal(r.consecutiveFailures, 0);
    assert.match(r.lastWarning ?? '', /failed to set times on "(\.|sub)" \(in mod\)/);
    const failText = existsSync(failLog) ? readFileSync(failLog, 'utf8') : '';
    assert.doesNotMatch(failText, /f\.txt|g\.txt|seed/, failText);
    // Logged once per problem, though two runs hit "sub".
    const warned = svc
      .output()
      .split('\n')
      .filter((l) => l.includes('could not handle "sub" outside the batch'));
    assert.equal(warned.length, 1, svc.output());
    assert.doesNotMatch(svc.output(), /retry/i);
  },
);
