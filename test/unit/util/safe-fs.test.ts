// The safe-fs helpers against a real (private) temp dir and a sticky world-writable one where
// another user (nobody, when we are root) plants links and files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  openAppendNoFollow,
  openPrivateDir,
  readOwnedFile,
  replaceFile,
  tempSibling,
  unsafeLocation,
} from '../../../src/util/safe-fs.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { tmpDir } from '../../helpers/tmp.js';
import { asNobody, isRoot } from '../../helpers/nobody.js';

const tmp = tmpDir('sersync-safefs-');
after(tmp.cleanup);
chmodSync(tmp.path, 0o711); // nobody may pass through to the sticky rooms
function sticky(name: string): string {
  const d = join(tmp.path, name);
  mkdirSync(d);
  chmodSync(d, 0o1777);
  return d;
}

test('temp siblings are unpredictable dot files next to the target', () => {
  const a = tempSibling('/x/y/fail.sh');
  assert.match(a, /^\/x\/y\/\.fail\.sh\.[0-9a-f]{16}\.tmp$/);
  assert.notEqual(a, tempSibling('/x/y/fail.sh'));
});

test('replaceFile never writes through a planted symlink and leaves no temp file', () => {
  const victim = join(tmp.path, 'victim');
  writeFileSync(victim, 'precious');
  const path = join(tmp.path, 'r.sh');
  symlinkSync(victim, path);
  replaceFile(path, 'new\n', 0o600);
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.equal(lstatSync(path).isFile(), true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(tmp.path).filter((n) => n.endsWith('.tmp')),
    [],
  );
});

test('openAppendNoFollow refuses a symlink, a hard-linked file and (as root) a file owned by someone else', () => {
  const victim = join(tmp.path, 'v2');
  writeFileSync(victim, 'precious');
  const link = join(tmp.path, 'l.log');
  symlinkSync(victim, link);
  assert.throws(() => openAppendNoFollow(link, 0o640), /ELOOP/);
  const fd = openAppendNoFollow(join(tmp.path, 'ok.log'), 0o640);
  closeSync(fd);
  if (!isRoot) return;
  const d = sticky('appendroom');
  asNobody(`echo x > ${d}/n.log`);
  assert.throws(() => openAppendNoFollow(join(d, 'n.log'), 0o640), /owned by uid 65534/);
});

test('openPrivateDir: creates 0700, narrows with fchmod, refuses a symlink or another owner', () => {
  const d = join(tmp.path, 'p', 'state');
  const r = openPrivateDir(d);
  assert.ok(r.ok);
  closeSync(r.value);
  assert.equal(statSync(d).mode & 0o777, 0o700);
  chmodSync(d, 0o755);
  const again = openPrivateDir(d);
  assert.ok(again.ok);
  closeSync(again.value);
  assert.equal(statSync(d).mode & 0o777, 0o700);
  const target = join(tmp.path, 'rootonly');
  mkdirSync(target, { mode: 0o755 });
  const link = join(tmp.path, 'linked-state');
  symlinkSync(target, link);
  const refused = openPrivateDir(link);
  if (refused.ok) assert.fail('a symlinked state dir was accepted');
  assert.match(refused.error, /symbolic link/);
  assert.equal(statSync(target).mode & 0o777, 0o755, 'never chmod-ed through the link');
  if (!isRoot) return;
  const s = sticky('dirroom');
  asNobody(`mkdir ${s}/state`);
  const theirs = openPrivateDir(join(s, 'state'));
  assert.match(theirs.ok ? '' : theirs.error, /owned by uid 65534/);
});

test('unsafeLocation: refuses a world-writable parent (sticky or not), accepts a private one', () => {
  const s = sticky('shared');
  assert.match(unsafeLocation(join(s, 'state')) ?? '', /world-writable \(mode 1777\)/);
  assert.match(unsafeLocation(join(s, 'not', 'yet', 'state')) ?? '', /world-writable/);
  assert.equal(unsafeLocation(join(tmp.path, 'mine', 'state')), undefined);
  const open = join(tmp.path, 'open');
  mkdirSync(join(open, 'sub'), { recursive: true });
  chmodSync(open, 0o777);
  assert.match(unsafeLocation(join(open, 'sub', 'state')) ?? '', /without the sticky bit/);
});

test('a location whose names have raw bytes is that very file (replace, append, private dir, read)', () => {
  const raw = (b: number): string => decodeName(Buffer.of(b));
  const dir = join(tmp.path, `state${raw(0xe9)}`);
  const opened = openPrivateDir(dir);
  assert.ok(opened.ok);
  closeSync(opened.value);
  const file = `${dir}/fail${raw(0xfc)}.sh`;
  replaceFile(file, 'one\n', 0o600);
  closeSync(openAppendNoFollow(`${dir}/log${raw(0xd6)}`, 0o600));
  assert.deepEqual(
    readdirSync(encodeName(dir), { encoding: 'buffer' })
      .map((b) => b.toString('hex'))
      .sort(),
    [
      encodeName(`fail${raw(0xfc)}.sh`).toString('hex'),
      encodeName(`log${raw(0xd6)}`).toString('hex'),
    ].sort(),
  );
  const read = readOwnedFile(file);
  assert.ok(read.ok);
  assert.equal(read.value?.toString(), 'one\n');
  assert.equal(unsafeLocation(file), undefined);
});
