// Names are bytes, end to end as a user runs it: a watch root whose name is GBK bytes, in a
// confxml.xml saved in GBK (encoding="GBK"), and one whose name has Latin-1 bytes, in a file saved
// as ISO-8859-1, run against a real loopback rsync daemon; a file created under the root reaches
// the target, and the log shows the root in its escaped form (never U+FFFD).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const PLACEHOLDER = '/@@ROOT@@';

const CASES = [
  { decl: 'GBK', name: Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), shown: '\\xd6\\xd0\\xce\\xc4' }, // 中文
  { decl: 'ISO-8859-1', name: Buffer.from('fotos\xe9', 'latin1'), shown: 'fotos\\xe9' },
] as const;

for (const c of CASES) {
  test(`a watch root named in ${c.decl} bytes, config saved in ${c.decl}: a new file reaches the rsync daemon`, async (t) => {
    const tmp = tmpDir('sersync-byteroot-');
    const dst = join(tmp.path, 'dst');
    const root = Buffer.concat([Buffer.from(`${tmp.path}/`), c.name]);
    mkdirSync(root);
    writeFileSync(Buffer.concat([root, Buffer.from('/before.txt')]), 'before');
    const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
    const text = confXml({
      roots: [{ watch: PLACEHOLDER, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'fail.sh'),
      watcher: 'inotify',
      commonParams: '-artz',
    }).replace('encoding="ISO-8859-1"', `encoding="${c.decl}"`);
    const [head, tail] = text.split(PLACEHOLDER);
    assert.ok(head !== undefined && tail !== undefined);
    const conf = join(tmp.path, 'confxml.xml');
    // The file as the user saved it: ASCII markup, the root's own bytes in the attribute.
    writeFileSync(conf, Buffer.concat([Buffer.from(head, 'latin1'), root, Buffer.from(tail)]));
    const proc = spawn(process.execPath, [CLI, '-r', '-o', conf], {
      cwd: tmp.path,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    t.after(async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      await rsyncd.stop();
      tmp.cleanup();
      assert.equal(code, 0, `service exit code (output:\n${out})`);
    });
    const listed = (): string[] => readdirSync(dst).sort();
    const reached = async (file: string, what: string): Promise<void> => {
      try {
        await eventually(() => listed().includes(file), { what, timeoutMs: 15_000 });
      } catch (e) {
        throw new Error(`${(e as Error).message}; service output:\n${out}`);
      }
    };
    await eventually(
      () => {
        if (proc.exitCode !== null) throw new Error(`service exited ${proc.exitCode}: ${out}`);
        return /ready: watching /.test(out);
      },
      { timeoutMs: 15_000, what: 'the service to start watching' },
    );
    await reached('before.txt', '-r pushed the root');
    writeFileSync(Buffer.concat([root, Buffer.from('/new.txt')]), 'realtime');
    await reached('new.txt', 'the new file reached the target');
    assert.equal(readFileSync(join(dst, 'new.txt'), 'utf8'), 'realtime');
    // A name of the same encoding inside the root arrives as the same bytes.
    writeFileSync(Buffer.concat([root, Buffer.from('/'), c.name, Buffer.from('.txt')]), 'bytes');
    const want = Buffer.concat([c.name, Buffer.from('.txt')]);
    await eventually(() => readdirSync(dst, { encoding: 'buffer' }).some((n) => n.equals(want)), {
      what: 'the raw-byte name on the target',
      timeoutMs: 15_000,
    });
    assert.ok(out.includes(`${tmp.path}/${c.shown}`), `the log shows the root escaped:\n${out}`);
    assert.ok(!out.includes('\ufffd'), `no U+FFFD in the log:\n${out}`);
  });
}
