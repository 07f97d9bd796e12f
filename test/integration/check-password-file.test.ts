// `sersync --check` on the password file as rsync will meet it: one the service user (here nobody,
// via setpriv) cannot read, and, as root, one root does not own (rsync refuses both, exit 1, at
// every run). Each is an error with file:line:col, exit 78; the real rsync agrees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('sersync-pwcheck-');
chmodSync(tmp.path, 0o755); // nobody reads the config and the tree
let rsyncd: Rsyncd; // rsync reads the password file once the daemon asks for it
before(async () => {
  rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [
    { name: 'mod', path: join(tmp.path, 'dst'), auth: { user: 'u', password: 'secret-pw-7' } },
  ]);
});
after(async () => {
  await rsyncd.stop();
  tmp.cleanup();
});
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** A config whose <auth passwordfile> is `pw` (root-owned, 0600 unless changed). */
function setup(name: string): { conf: string; pw: string; xml: string } {
  const dir = join(tmp.path, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const pw = join(dir, 'rsync.pas');
  writeFileSync(pw, 'secret-pw-7\n');
  chmodSync(pw, 0o600);
  const conf = join(dir, 'confxml.xml');
  writeFileSync(
    conf,
    confXml({
      roots: [{ watch: join(dir, 'src'), remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: 873,
      failLog: join(dir, 'fail.sh'),
      auth: { user: 'u', passwordFile: pw },
    }),
  );
  return { conf, pw, xml: readFileSync(conf, 'utf8') };
}

/** `passwordfile=` of the config, as `file:line:col` reports it. */
function position(xml: string): string {
  const i = xml.indexOf('passwordfile=');
  const before = xml.slice(0, i);
  return `${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

function check(conf: string, asNobody: boolean) {
  const argv = [process.execPath, CLI, '--check', '-o', conf];
  return asNobody
    ? spawnSync('setpriv', [...NOBODY, ...argv], { encoding: 'utf8' })
    : spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
}

test('a password file the service user cannot read: error with file:line:col, exit 78', () => {
  const { conf, pw, xml } = setup('unreadable');
  chmodSync(join(tmp.path, 'unreadable'), 0o755);
  const r = check(conf, true);
  assert.equal(r.status, 78, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `confxml\\.xml:${position(xml)}: error: sersync/rsync/auth@passwordfile: expected a password file this user \\(uid 65534\\) can read .* is not readable`,
    ),
  );
  assert.ok(!r.stderr.includes('secret-pw-7'));
  // What rsync would have said at every run, as the same user.
  const rsync = spawnSync(
    'setpriv',
    [...NOBODY, 'rsync', `--password-file=${pw}`, `--port=${rsyncd.port}`, '.', 'u@127.0.0.1::mod'],
    { encoding: 'utf8', cwd: tmp.path },
  );
  assert.equal(rsync.status, 1);
  assert.match(rsync.stderr, /could not open password file/);
  // Readable by nobody (its own file): fine.
  chownSync(pw, 65534, 65534);
  assert.equal(check(conf, true).status, 0);
});

test('as root, a password file root does not own: error with file:line:col, exit 78', () => {
  assert.equal(process.getuid?.(), 0, 'this test runs as root');
  const { conf, pw, xml } = setup('owner');
  chownSync(pw, 65534, 65534);
  const r = check(conf, false);
  assert.equal(r.status, 78, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `confxml\\.xml:${position(xml)}: error: sersync/rsync/auth@passwordfile: expected a password file owned by root.* is owned by uid 65534; run chown root on it`,
    ),
  );
  const rsync = spawnSync(
    'rsync',
    [`--password-file=${pw}`, `--port=${rsyncd.port}`, '.', 'u@127.0.0.1::mod'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(rsync.status, 1);
  assert.match(rsync.stderr, /password file must be owned by root when running as root/);
  chownSync(pw, 0, 0);
  assert.equal(check(conf, false).status, 0, check(conf, false).stderr);
});
