// ssh mode against a real OpenSSH sshd on 127.0.0.1 (test/helpers/sshd.ts): `<ssh start="true">`
// with the target a local directory reached through ssh (`127.0.0.1:/tmp/…`). The template's
// `<userDefinedPort start="true" port="874">` left on must not break it (the port is for rsync
// daemons, as in sersync 2.5.4); the ssh port comes from ssh's own setup or from `-e` in
// commonParams. Covered each way: the -r full sync, creates, a directory with spaces and quotes,
// deletes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
