// Too few inotify watches: the service says which sysctl is short, its value and the value the
// root needs. The limit is lowered only inside a user namespace of the test's own (`unshare -Ur`,
// user.max_inotify_watches), so nothing else on the machine is affected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const canUnshare =
  spawnSync('unshare', ['-Ur', 'sh', '-c', 'echo 50 > /proc/sys/user/max_inotify_watches'])
    .status === 0;

test(
  'watch limit: the error names fs.inotify.max_user_watches (and the namespace cap), its value and the value needed',
  { skip: canUnshare ? false : 'unshare -Ur (user namespaces) is not available here' },
  async () => {
    const tmp = tmpDir('sersync-wlimit-');
    const daemon = await startRsyncd(join(tmp.path, 'rsyncd'), [
      { name: 'm', path: join(tmp.path, 'dst') },
    ]);
    try {
      const src = join(tmp.path, 'src');
      for (let i = 0; i < 30; i++)
        for (let j = 0; j < 9; j++) mkdirSync(join(src, `a${i}`, `b${j}`), { recursive: true });
      const conf = join(tmp.path, 'confxml.xml');
      writeFileSync(
        conf,
        confXml({
          roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'm' }] }],
          port: daemon.port,
          failLog: join(tmp.path, 'fail.sh'),
        }),
      );
      const script = 'echo 100 > /proc/sys/user/max_inotify_watches && exec "$@"';
      const proc = spawn(
        'unshare',
        ['-Ur', 'sh', '-c', script, 'sh', process.execPath, CLI, '-o', conf],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => proc.once('exit', r));
      try {
        const line = await eventually(
          () => out.split('\n').find((l) => l.includes('inotify watch limit: ')),
          { what: 'the advice line', timeoutMs: 20_000 },
        );
        assert.match(line, new RegExp(`${src} has 301 directories, one watch each`));
        assert.match(line, /fs\.inotify\.max_user_watches is \d+/);
        assert.match(line, /user\.max_inotify_watches of this user namespace is 100/);
        assert.match(line, /sysctl -w fs\.inotify\.max_user_watches=9000 /);
        assert.match(line, /sysctl -w user\.max_inotify_watches=9000/);
        assert.match(out, /inotify watch limit reached while adding /);
      } finally {
        proc.kill('SIGTERM');
        await exited;
      }
    } finally {
      await daemon.stop();
      tmp.cleanup();
    }
  },
);
