// ssh mode against a real OpenSSH sshd on 127.0.0.1 (test/helpers/sshd.ts): `<ssh start="true">`
// with the target a local directory reached through ssh (`127.0.0.1:/tmp/…`). The template's
// `<userDefinedPort start="true" port="874">` left on must not break it (the port is for rsync
// daemons, as in sersync 2.5.4); the ssh port comes from ssh's own setup or from `-e` in
// commonParams. Covered each way: the -r full sync, creates, a directory with spaces and quotes,
// deletes. Then the shared connection (ControlMaster): one login for many runs, a killed master,
// a crashed service, a user's own -e, a planted socket directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { confXml, startService } from '../helpers/service.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

const tmp = tmpDir('sersync-ssh-');
let sshd: Sshd;

before(async () => {
  sshd = await startSshd(join(tmp.path, 'sshd'));
});
after(async () => {
  await sshd.stop();
  tmp.cleanup();
});

const converged = (src: string, dst: string) => (): boolean => {
  const d = diffTrees(src, dst);
  if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
  return true;
};

interface Variant {
  readonly name: string;
  /** `<userDefinedPort start>` (port 874, the template's). */
  readonly portOn: boolean;
  /** How ssh finds the port: the `ssh` on PATH (like ~/.ssh/config), or `-e` in commonParams. */
  readonly sshPort: 'path' | 'commonParams';
}

const VARIANTS: readonly Variant[] = [
  { name: 'port off, ssh port from the ssh on PATH', portOn: false, sshPort: 'path' },
  {
    name: 'template port 874 left on, ssh port from the ssh on PATH',
    portOn: true,
    sshPort: 'path',
  },
  {
    name: "template port 874 left on, ssh port from -e 'ssh -p N' in commonParams",
    portOn: true,
    sshPort: 'commonParams',
  },
];

VARIANTS.forEach((v, i) => {
  test(`ssh: ${v.name}: -r, creates, a dir with spaces and quotes, deletes`, async () => {
    const base = join(tmp.path, `v${i}`);
    const src = join(base, 'src');
    const dst = join(base, 'dst');
    mkdirSync(join(src, 'old', 'deep'), { recursive: true });
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(src, 'old', 'deep', 'before.txt'), 'was there before the start');
    writeFileSync(join(src, 'top.txt'), 'top');
    writeFileSync(join(dst, 'stale.txt'), 'only at the target: -r deletes it');
    const commonParams =
      v.sshPort === 'commonParams' ? `-artuz -e '${sshd.sshNoPort} -p ${sshd.port}'` : '-artuz';
    const xml = confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: dst }] }],
      port: 874,
      failLog: join(base, 'fail.sh'),
      commonParams,
    })
      .replace('<ssh start="false"/>', '<ssh start="true"/>')
      .replace(
        '<userDefinedPort start="true" port="874"/>',
        `<userDefinedPort start="${v.portOn}" port="874"/>`,
      );
    // A plain `ssh` on PATH only reaches the test sshd in the 'path' variants (it has the port).
    const env =
      v.sshPort === 'path'
        ? { PATH: `${sshd.binDir}:${process.env['PATH'] ?? ''}` }
        : { PATH: process.env['PATH'] ?? '' };
    const loginsBefore = sshd.logins();
    const service = await startService(base, xml, ['-r'], env);
    try {
      if (v.portOn)
        assert.match(service.output(), /the port 874 is ignored with <ssh start="true">/);
      await eventually(converged(src, dst), { what: 'the -r full sync over ssh' });

      writeFileSync(join(src, 'new.txt'), 'new');
      const odd = `dir with sp'ace "and" quotes`;
      mkdirSync(join(src, odd, 'in side'), { recursive: true });
      writeFileSync(join(src, odd, 'in side', `it's "here".txt`), 'odd');
      writeFileSync(join(src, odd, '-dash.txt'), 'dash');
      await eventually(converged(src, dst), { what: 'creates over ssh' });

      rmSync(join(src, 'top.txt'));
      rmSync(join(src, odd, 'in side'), { recursive: true });
      rmSync(join(src, 'old'), { recursive: true });
      await eventually(converged(src, dst), { what: 'deletes over ssh' });
      assert.ok(sshd.logins() > loginsBefore, `rsync logged in through sshd:\n${sshd.log()}`);
      assert.doesNotMatch(service.output(), /exit code 255|exited with 255/);
    } finally {
      const code = await service.stop();
      assert.equal(code, 0, service.output());
    }
  });
});

// ---- One shared connection per ssh login (OpenSSH ControlMaster, src/sync/ssh-master.ts) ----

/** Pids of processes whose command line names `socket` (the master: `ssh: SOCKET [mux]`; its clients). */
function processesUsing(socket: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(socket);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** The pid of the master behind `socket`, as `ssh -O check` reports it. */
function masterPid(socket: string): number {
  const r = spawnSync(join(sshd.binDir, 'ssh'), ['-S', socket, '-O', 'check', '127.0.0.1'], {
    encoding: 'utf8',
  });
  const m = /Master running \(pid=(\d+)\)/.exec(r.stderr);
  if (m === null) throw new Error(`no master at ${socket}: ${r.stderr}`);
  return Number(m[1]);
}

/** A service in ssh mode reaching the test sshd through the `ssh` on PATH, in `base`. */
async function sshService(base: string, extra: Partial<{ commonParams: string }> = {}) {
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  mkdirSync(src, { recursive: true });
  mkdirSync(dst, { recursive: true });
  const xml = confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: dst }] }],
    port: 874,
    failLog: join(base, 'fail.sh'),
    commonParams: extra.commonParams ?? '-artuz',
  })
    .replace('<ssh start="false"/>', '<ssh start="true"/>')
    .replace('<userDefinedPort start="true" port="874"/>', '<userDefinedPort start="false"/>');
  const env = { PATH: `${sshd.binDir}:${process.env['PATH'] ?? ''}` };
  const service = await startService(base, xml, [], env);
  return { src, dst, service, socketDir: join(base, 'sersync-state', 'ssh') };
}

/** Writes `n` files one after the other, each awaited at the target: `n` separate batches. */
async function lonelyChanges(src: string, dst: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    writeFileSync(join(src, `${tag}${i}.txt`), `${tag} ${i}`);
    await eventually(converged(src, dst), { what: `${tag}${i}.txt over ssh` });
  }
}

const runLines = (out: string): number =>
  out.split('\n').filter((l) => /rsync -> 127\.0\.0\.1:.*: 1 path, (ok|exit 0)/.test(l)).length;

test('ssh: many batches share one connection; its socket dir is private; stop closes it', async () => {
  // A state directory with a space and quotes: the control path travels through rsync's -e
  // splitting and ssh's option parser.
  const base = join(tmp.path, `shared it's "one"`);
  const logins0 = sshd.logins();
  const { src, dst, service, socketDir } = await sshService(base);
  let socket = '';
  try {
    await lonelyChanges(src, dst, 6, 'lone');
    await eventually(() => runLines(service.output()) >= 6, { what: '6 runs logged' });
    assert.equal(sshd.logins() - logins0, 1, `one login for 6 runs:\n${sshd.log()}`);
    const st = statSync(socketDir);
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.geteuid?.());
    const names = readdirSync(socketDir);
    assert.equal(names.length, 1, names.join(' '));
    socket = join(socketDir, names[0] ?? '');
    assert.ok(statSync(socket).isSocket());
    assert.match(service.output(), /ssh: runs to 127\.0\.0\.1 share one connection/);
    assert.ok(masterPid(socket) > 0);
  } finally {
    assert.equal(await service.stop(), 0, service.output());
  }
  assert.match(service.output(), /ssh: closed the shared connection to 127\.0\.0\.1/);
  assert.equal(existsSync(socket), false, 'the socket is removed');
  await eventually(() => processesUsing(socket).length === 0, { what: 'no ssh process left' });
});

test('ssh: a master killed with -9 is replaced by the next run, and sync goes on', async () => {
  const base = join(tmp.path, 'killed-master');
  const { src, dst, service, socketDir } = await sshService(base);
  try {
    await lonelyChanges(src, dst, 2, 'a');
    const socket = join(socketDir, readdirSync(socketDir)[0] ?? '');
    const first = masterPid(socket);
    const logins0 = sshd.logins();
    process.kill(first, 'SIGKILL');
    await eventually(() => processesUsing(socket).length === 0, { what: 'the master gone' });
    assert.ok(existsSync(socket), 'a stale socket is left behind');
    await lonelyChanges(src, dst, 3, 'b');
    const second = masterPid(socket);
    assert.notEqual(second, first);
    assert.equal(sshd.logins() - logins0, 1, `one new login:\n${sshd.log()}`);
  } finally {
    assert.equal(await service.stop(), 0, service.output());
  }
  assert.equal(readdirSync(socketDir).length, 0);
});

test('ssh: a crashed service leaves its master; the next start uses it and stop closes it', async () => {
  const base = join(tmp.path, 'crashed');
  const one = await sshService(base);
  await lonelyChanges(one.src, one.dst, 1, 'a');
  const socket = join(one.socketDir, readdirSync(one.socketDir)[0] ?? '');
  const master = masterPid(socket);
  one.service.proc.kill('SIGKILL');
  await one.service.stop();
  assert.equal(masterPid(socket), master, 'the master outlives a crash (for ControlPersist)');
  const two = await sshService(base);
  try {
    await lonelyChanges(two.src, two.dst, 2, 'b');
  } finally {
    assert.equal(await two.service.stop(), 0, two.service.output());
  }
  await eventually(() => processesUsing(socket).length === 0, { what: 'no ssh process left' });
});

test('ssh: -e in commonParams is used as written: no shared connection', async () => {
  const base = join(tmp.path, 'own-e');
  const logins0 = sshd.logins();
  const { src, dst, service, socketDir } = await sshService(base, {
    commonParams: `-artuz -e '${sshd.sshNoPort} -p ${sshd.port}'`,
  });
  try {
    await lonelyChanges(src, dst, 3, 'e');
    assert.equal(sshd.logins() - logins0, 3, 'one login per run');
    assert.equal(existsSync(socketDir), false);
    assert.doesNotMatch(service.output(), /share one connection/);
  } finally {
    assert.equal(await service.stop(), 0, service.output());
  }
});

test('ssh: a link planted as the socket directory is refused: plain ssh, one warning', async () => {
  const base = join(tmp.path, 'planted');
  const elsewhere = join(tmp.path, 'planted-elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  mkdirSync(join(base, 'sersync-state'), { recursive: true, mode: 0o700 });
  symlinkSync(elsewhere, join(base, 'sersync-state', 'ssh'));
  const logins0 = sshd.logins();
  const { src, dst, service } = await sshService(base);
  try {
    await lonelyChanges(src, dst, 2, 'p');
    assert.equal(sshd.logins() - logins0, 2, 'one login per run');
    assert.match(service.output(), /ssh: no shared connection \(ControlMaster\): .*symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
  } finally {
    assert.equal(await service.stop(), 0, service.output());
  }
});
