// Permanent rsync errors against a real rsync daemon: a wrong password and an unknown module are
// logged once at error level with a hint, /healthz turns 503 with rsync's own line after the grace
// (<failLog retryCap>), /status shows it, the retries go on and succeed once the cause is fixed
// (the password file alone, or a new config by SIGHUP). No password ever reaches the log: a file
// named after it makes the run's log line name it, and it comes out as ***.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { freePort, startRsyncd, type RsyncdModule, type RsyncdOptions } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees } from '../helpers/tree.js';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

interface RemoteJson {
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
}

async function remote(port: number): Promise<RemoteJson | undefined> {
  return (JSON.parse((await get(port, '/status')).body) as { remotes: RemoteJson[] }).remotes[0];
}

/** A source tree, an rsync daemon with `modules`, a status port and a password file per name. */
async function rig(modules: (dir: string) => RsyncdModule[], opts: RsyncdOptions = {}) {
  const tmp = tmpDir();
  chmodSync(tmp.path, 0o755); // a daemon running as nobody reaches its module
  const src = join(tmp.path, 'src');
  mkdirSync(src);
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), modules(tmp.path), opts);
  const statusPort = await freePort();
  const passwordFile = (name: string, text: string): string => {
    const f = join(tmp.path, name);
    writeFileSync(f, `${text}\n`);
    chmodSync(f, 0o600);
    return f;
  };
  const xml = (module: string, pw?: string): string =>
    confXml({
      roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: module }] }],
      port: rsyncd.port,
      failLog: join(tmp.path, 'fail.sh'),
      statusPort,
      ...(pw === undefined ? {} : { auth: { user: 'u', passwordFile: pw } }),
      retryCapSeconds: 1, // retries every second, /healthz grace 1 s
    });
  return { tmp, src, rsyncd, statusPort, passwordFile, xml };
}

/** Waits for /healthz 503 naming `line`, /status showing it, and a few retries; one error line. */
async function failsVisibly(svc: Service, statusPort: number, line: string, cause: string) {
  const esc = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const errorLine = new RegExp(
    `\\[error\\] rsync -> (u@)?127\\.0\\.0\\.1::\\w+: ${esc}.* \\(${cause}: .+\\); retried with back-off`,
  );
  await eventually(() => errorLine.test(svc.output()), { what: `the ${cause} error line` });
  const health = await eventually(
    async () => {
      const h = await get(statusPort, '/healthz');
      return h.status === 503 && h.body.includes(line) ? h : undefined;
    },
    { what: `/healthz 503 with ${line}` },
  );
  assert.match(health.body, /^unreachable: (u@)?127\.0\.0\.1::\w+ failing for \d+ s/);
  await eventually(async () => ((await remote(statusPort))?.consecutiveFailures ?? 0) >= 3, {
    what: 'the retries to go on',
  });
  assert.match((await remote(statusPort))?.lastError ?? '', new RegExp(`: ${esc}`));
  // One error line for the streak, not one per retry.
  assert.equal(
    svc
      .output()
      .split('\n')
      .filter((l) => errorLine.test(l)).length,
    1,
    svc.output(),
  );
}

test('wrong password: error line with the hint, 503 with the @ERROR line, synced once the password file is fixed', async () => {
  const OLD = 'wrongpass4711';
  const NEW = 'rightpass0815';
  const r = await rig((dir) => [
    { name: 'mod', path: join(dir, 'dst'), auth: { user: 'u', password: NEW } },
  ]);
  const pw = r.passwordFile('rsync.pas', OLD);
  const svc = await startService(r.tmp.path, r.xml('mod', pw));
  try {
    writeFileSync(join(r.src, `${OLD}.txt`), 'a');
    await failsVisibly(svc, r.statusPort, '@ERROR: auth failed on module mod', 'auth-failed');
    assert.match(svc.output(), /secrets file/);

    // Only the file changes (no SIGHUP): rsync reads it at the next retry, and so do we.
    r.passwordFile('rsync.pas', NEW);
    writeFileSync(join(r.src, `${NEW}.txt`), 'b');
    await eventually(() => diffTrees(r.src, join(r.tmp.path, 'dst')).length === 0, {
      what: 'both files at the target',
    });
    await eventually(async () => (await get(r.statusPort, '/healthz')).status === 200, {
      what: '/healthz 200 again',
    });
    assert.match(svc.output(), /runs reach the target again \(auth-failed cleared\)/);
    assert.match(svc.output(), /"\*\*\*\.txt"/); // the run line names the file, redacted
    assert.ok(!svc.output().includes(OLD) && !svc.output().includes(NEW), svc.output());
  } finally {
    assert.equal(await svc.stop(), 0);
    await r.rsyncd.stop();
    r.tmp.cleanup();
  }
});

test('unknown module: error line, 503 with the line; SIGHUP to a new module and password file syncs, both passwords stay hidden', async () => {
  const FIRST = 'firstsecret1234';
  const SECOND = 'secondsecret5678';
  const r = await rig((dir) => [
    { name: 'mod', path: join(dir, 'dst'), auth: { user: 'u', password: SECOND } },
  ]);
  const conf = join(r.tmp.path, 'confxml.xml');
  const svc = await startService(r.tmp.path, r.xml('nosuch', r.passwordFile('one.pas', FIRST)));
  try {
    writeFileSync(join(r.src, `${FIRST}.txt`), 'a');
    await failsVisibly(svc, r.statusPort, "@ERROR: Unknown module 'nosuch'", 'unknown-module');
    assert.match(svc.output(), /<remote name>/);

    // The fixed config names another password file: its secret is redacted from the reload on.
    writeFileSync(conf, r.xml('mod', r.passwordFile('two.pas', SECOND)));
    svc.proc.kill('SIGHUP');
    // After the catch-up full sync, so the new file gets a run (and a log line) of its own.
    await eventually(() => /::mod: full sync, exit 0/.test(svc.output()), {
      what: 'the catch-up full sync of the restarted pipeline',
    });
    writeFileSync(join(r.src, `${SECOND}.txt`), 'b');
    // Its own run names it: the new password file's secret hides it.
    await eventually(() => /1 path, exit 0, \d+ ms \[\+"\*\*\*\.txt"\]/.test(svc.output()), {
      what: 'the redacted run line',
    });
    assert.equal(diffTrees(r.src, join(r.tmp.path, 'dst')).length, 0);
    assert.ok(!svc.output().includes(FIRST) && !svc.output().includes(SECOND), svc.output());
    const status = (await get(r.statusPort, '/status')).body;
    assert.ok(!status.includes(FIRST) && !status.includes(SECOND), status);
  } finally {
    assert.equal(await svc.stop(), 0);
    await r.rsyncd.stop();
    r.tmp.cleanup();
  }
});

test('a module its daemon user cannot write: permission denied, error line, 503; synced once the owner is fixed', async () => {
  const r = await rig((dir) => [{ name: 'mod', path: join(dir, 'dst') }], {
    uid: 'nobody',
    gid: 'nogroup',
  });
  const dst = join(r.tmp.path, 'dst'); // root's, 0755: nobody cannot create files in it
  const svc = await startService(r.tmp.path, r.xml('mod'));
  try {
    writeFileSync(join(r.src, 'a.txt'), 'a');
    await failsVisibly(svc, r.statusPort, 'rsync: [receiver] mkstemp', 'module-permission');
    assert.match(
      (await remote(r.statusPort))?.lastError ?? '',
      /^partial: 1 path\(s\) failed: rsync: \[receiver\] mkstemp .*Permission denied \(13\)$/,
    );
    chownSync(dst, 65534, 65534);
    await eventually(() => diffTrees(r.src, dst).length === 0, { what: 'a.txt at the target' });
    await eventually(async () => (await get(r.statusPort, '/healthz')).status === 200, {
      what: '/healthz 200 again',
    });
    assert.match(svc.output(), /runs reach the target again \(module-permission cleared\)/);
  } finally {
    assert.equal(await svc.stop(), 0);
    await r.rsyncd.stop();
    r.tmp.cleanup();
  }
});
