// A shared /tmp is hostile, one instance per state, the old fail log: the real service against
// a second unprivileged user (nobody, via setpriv) planting links in a sticky world-writable
// directory, two instances, and a fail log sersync 2.5.4 left behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { openJournal } from '../../src/retry/journal.js';
import { processLocations } from '../../src/state/locations.js';
import { eventually } from '../helpers/eventually.js';
import { asNobody, isRoot, runAsNobody } from '../helpers/nobody.js';
import { startRsyncd, type Rsyncd } from '../helpers/rsyncd.js';
import { CLI, confXml, startService, type ConfOptions, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('sersync-safety-');
let rsyncd: Rsyncd;
const services: Service[] = [];
const defaultStates: string[] = [];

before(async () => {
  chmodSync(tmp.path, 0o711); // nobody may reach the sticky room, nothing else
  rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [
    { name: 'one', path: join(tmp.path, 'dst-one') },
    { name: 'two', path: join(tmp.path, 'dst-two') },
    { name: 'three', path: join(tmp.path, 'dst-three') },
  ]);
});
after(async () => {
  for (const s of services) await s.stop();
  await rsyncd.stop();
  for (const d of defaultStates) rmSync(d, { recursive: true, force: true });
  tmp.cleanup();
});

/** A sticky world-writable directory (mode 1777), like /tmp. */
function stickyRoom(name: string): string {
  const d = join(tmp.path, name);
  mkdirSync(d);
  chmodSync(d, 0o1777);
  return d;
}

function conf(dir: string, o: Partial<ConfOptions> & { module?: string }): string {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  return confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: o.module ?? 'one' }] }],
    port: rsyncd.port,
    failLog: join(dir, 'fail.sh'),
    watcher: 'inotify',
    ...o,
  });
}

async function start(dir: string, xml: string, env: NodeJS.ProcessEnv = {}): Promise<Service> {
  const s = await startService(dir, xml, [], env);
  services.push(s);
  return s;
}

function runOnce(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('close', (code) => {
      resolve({ code, out });
    });
  });
}

test(
  'nobody planting links where the fail log lives: nothing is written through them, the fail log stays ours',
  {
    skip: !isRoot && 'needs root (a second user)',
  },
  async () => {
    const dir = join(tmp.path, 'hostile');
    mkdirSync(dir);
    const room = stickyRoom('room');
    const failLog = join(room, 'rsync_fail_log.sh');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    chmodSync(dir, 0o755);
    // Links at the fail log itself and at the old state/log defaults.
    asNobody(
      [
        `ln -s ${victim} ${failLog}`,
        `ln -s ${dir} ${room}/sersync-state`,
        `ln -s ${victim} ${room}/sersync.log`,
      ].join('; '),
    );
    const stateDir = join(dir, 'state');
    const s = await start(
      dir,
      conf(dir, { failLog, stateDir, port: 1 }), // nothing listens on port 1: every run fails
    );
    asNobody(`ln -s ${victim} ${failLog}.${s.proc.pid}.tmp`); // the temp name the old code used
    writeFileSync(join(dir, 'src', 'a.txt'), 'a');
    await eventually(
      () => lstatSync(failLog).isFile() && readFileSync(failLog, 'utf8').includes('./a.txt'),
      { timeoutMs: 20_000, what: 'the failed path in the fail log' },
    );
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    const st = statSync(failLog);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o755, 'no directory chmod-ed through a link');
    assert.ok(
      !readFileSync(victim, 'utf8').includes('sersync'),
      'no log line written through a link',
    );
    // nobody can neither write nor replace it now.
    const r = runAsNobody(`echo 'touch /tmp/PWNED' >> ${failLog} || mv -f ${room}/x ${failLog}`);
    assert.notEqual(r.status, 0);
    assert.ok(!readFileSync(failLog, 'utf8').includes('PWNED'));
    assert.equal(await s.stop(), 0, s.output());
  },
);

test(
  'a fail log owned by another user is replaced, never written into, and its entries are not trusted',
  {
    skip: !isRoot && 'needs root (a second user)',
  },
  async () => {
    const dir = join(tmp.path, 'theirs');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const room = stickyRoom('room2');
    const failLog = join(room, 'rsync_fail_log.sh');
    writeFileSync(join(dir, 'bait'), 'x'); // not in the watch root: must never be queued
    asNobody(
      `printf '#errno 2560\\ncd ${dir}/src && rsync -artuz -R "./planted" 127.0.0.1::one\\n\\n' > ${failLog}; chmod 666 ${failLog}`,
    );
    const s = await start(dir, conf(dir, { failLog, stateDir: join(dir, 'state'), port: 1 }));
    assert.match(
      s.output(),
      /owned by uid 65534, not by this process \(uid 0\): its entries are not trusted/,
    );
    assert.doesNotMatch(s.output(), /queued again/);
    writeFileSync(join(dir, 'src', 'b.txt'), 'b');
    await eventually(() => statSync(failLog).uid === 0, { what: 'the fail log replaced by ours' });
    assert.equal(statSync(failLog).mode & 0o777, 0o600);
    assert.ok(!readFileSync(failLog, 'utf8').includes('planted'));
    assert.equal(await s.stop(), 0, s.output());
  },
);

test('a state, pid or log path in a world-writable directory is refused with exit 78 (also by --check)', async () => {
  const dir = join(tmp.path, 'refuse');
  mkdirSync(dir);
  const room = stickyRoom('room3');
  const file = join(dir, 'confxml.xml');
  writeFileSync(file, conf(dir, { stateDir: join(room, 'state') }));
  for (const args of [
    ['-o', file],
    ['--check', '-o', file],
  ]) {
    const r = await runOnce(args);
    assert.equal(r.code, 78, r.out);
    assert.match(
      r.out,
      new RegExp(
        `<failLog stateDir> ${room}/state refused: ${room} is world-writable \\(mode 1777\\)`,
      ),
    );
  }
  writeFileSync(file, conf(dir, { extraDaemonAttrs: `logFile="${room}/sersync.log"` }));
  const r = await runOnce(['-d', '-o', file]);
  assert.equal(r.code, 78, r.out);
  assert.match(r.out, /<daemon logFile> .* refused: .* is world-writable/);
  assert.equal(existsSync(join(room, 'sersync.log')), false);
});

for (const lock of ['flock', 'lock file'] as const) {
  test(`a second instance on the same state exits 73 and names the first (${lock})`, async () => {
    const dir = join(tmp.path, `twice-${lock.replace(' ', '-')}`);
    mkdirSync(dir);
    const env = lock === 'flock' ? {} : { SERSYNC_NO_FLOCK: '1' };
    const first = await start(dir, conf(dir, {}), env);
    const r = await runOnce(['-o', join(dir, 'confxml.xml')], env);
    assert.equal(r.code, 73, r.out);
    assert.match(
      r.out,
      new RegExp(
        `another sersync \\(pid ${first.proc.pid}\\) already uses the state directory ${dir}/sersync-state`,
      ),
    );
    const name = `still-${lock.replace(' ', '-')}.txt`;
    writeFileSync(join(dir, 'src', name), 'ok');
    await eventually(() => existsSync(join(tmp.path, 'dst-one', name)), {
      what: 'the first instance still syncing',
    });
    assert.equal(await first.stop(), 0, first.output());
    if (lock === 'lock file') assert.equal(existsSync(join(dir, 'sersync-state', 'lock')), false);
    const again = await start(dir, conf(dir, {}), env);
    assert.equal(await again.stop(), 0, again.output());
  });
}

test('two configs sharing the stock fail-log path get separate default state and both sync', async () => {
  const shared = join(tmp.path, 'shared-fail.sh');
  const run = async (name: string, module: string) => {
    const dir = join(tmp.path, name);
    mkdirSync(dir);
    defaultStates.push(processLocations(join(dir, 'confxml.xml')).stateDir);
    return { dir, s: await start(dir, conf(dir, { module, failLog: shared, stateDir: false })) };
  };
  const a = await run('inst-a', 'one');
  const b = await run('inst-b', 'two');
  assert.notEqual(defaultStates[0], defaultStates[1]);
  for (const d of defaultStates) assert.equal(statSync(d).mode & 0o777, 0o700);
  writeFileSync(join(a.dir, 'src', 'from-a.txt'), 'a');
  writeFileSync(join(b.dir, 'src', 'from-b.txt'), 'b');
  await eventually(
    () =>
      existsSync(join(tmp.path, 'dst-one', 'from-a.txt')) &&
      existsSync(join(tmp.path, 'dst-two', 'from-b.txt')),
    { what: 'both instances synced' },
  );
  assert.equal(await a.s.stop(), 0, a.s.output());
  assert.equal(await b.s.stop(), 0, b.s.output());
});

test('the fail log sersync 2.5.4 left is read at start: its paths reach the target, then it empties', async () => {
  const dir = join(tmp.path, 'old-fail');
  mkdirSync(join(dir, 'src', 'sp dir'), { recursive: true });
  const dst = join(tmp.path, 'dst-three');
  const src = join(dir, 'src');
  writeFileSync(join(src, 'A.txt'), 'a');
  writeFileSync(join(src, 'sp dir', 'cost $5.txt'), 'c');
  mkdirSync(join(dst, 'gone'), { recursive: true });
  writeFileSync(join(dst, 'gone', 'B.txt'), 'stale');
  const failLog = join(dir, 'rsync_fail_log.sh');
  // The original's bytes (sersync-observed.md §6), chmod 777 as it left them.
  const original = [
    '#errno 2560',
    `cd ${src} && rsync -artuz -R "./A.txt" 127.0.0.1::three >/dev/null 2>&1 `,
    '',
    '#errno 3072',
    `cd ${src} && rsync -artuz -R "./sp dir/cost \\$5.txt" 127.0.0.1::three >/dev/null 2>&1 `,
    '',
    '#errno 2560',
    `cd ${src} && rsync -artuz -R --delete ./   --include="gone/" --include="gone/B.txt" --exclude=*  127.0.0.1::three >/dev/null 2>&1 `,
    '',
    '',
  ].join('\n');
  writeFileSync(failLog, original);
  chmodSync(failLog, 0o777);
  const s = await start(dir, conf(dir, { module: 'three', failLog }));
  assert.match(s.output(), /fail log: 3 path\(s\) queued again/);
  await eventually(
    () =>
      existsSync(join(dst, 'A.txt')) &&
      existsSync(join(dst, 'sp dir', 'cost $5.txt')) &&
      !existsSync(join(dst, 'gone', 'B.txt')),
    { timeoutMs: 20_000, what: 'the inherited paths synced' },
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${s.output()}`);
  });
  await eventually(() => readFileSync(failLog, 'utf8') === '', {
    timeoutMs: 20_000,
    what: 'the fail log emptied once they synced',
  });
  assert.equal(statSync(failLog).mode & 0o777, 0o600);
  assert.equal(await s.stop(), 0, s.output());
});

/** A journal in `dir` (created 0700, as earlier releases did) with `path` of the first target pending. */
async function oldJournal(dir: string, src: string, path: string): Promise<void> {
  const j = await openJournal(dir);
  assert.ok(j.ok, j.ok ? '' : j.error.message);
  j.value.append([
    { kind: 'pending', targetKey: `${src}\u00000`, path, op: 'upsert', isDir: false },
  ]);
  await j.value.close();
}

test('after an upgrade the journal of the old default state dir (<fail log dir>/sersync-state) is replayed; the old dir stays', async () => {
  const dir = join(tmp.path, 'upgrade');
  mkdirSync(dir);
  const xml = conf(dir, { stateDir: false });
  const src = join(dir, 'src');
  writeFileSync(join(src, 'pending-before-upgrade.txt'), 'p');
  const old = join(dir, 'sersync-state');
  await oldJournal(old, src, 'pending-before-upgrade.txt'); // no ran-before: no catch-up either
  const fresh = processLocations(join(dir, 'confxml.xml')).stateDir;
  defaultStates.push(fresh);
  const s = await start(dir, xml);
  assert.match(
    s.output(),
    new RegExp(
      `state: imported the journal from the old state directory ${old} into ${fresh} \\(upgrade\\); ${old} is left in place`,
    ),
  );
  assert.match(
    s.output(),
    /journal: 1 change\(s\) left unsynced by the previous run were queued again/,
  );
  await eventually(() => existsSync(join(tmp.path, 'dst-one', 'pending-before-upgrade.txt')), {
    what: 'the path pending in the old journal synced',
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${s.output()}`);
  });
  assert.equal(statSync(join(fresh, 'journal')).mode & 0o777, 0o600);
  assert.ok(existsSync(join(old, 'journal')), 'the old directory is left in place');
  assert.equal(await s.stop(), 0, s.output());
});

test('an old default state dir that is a link (or group-writable) is ignored with a warning, nothing imported', async () => {
  const dir = join(tmp.path, 'upgrade-planted');
  mkdirSync(dir);
  const src = join(dir, 'src');
  const elsewhere = join(tmp.path, 'planted-state');
  await oldJournal(elsewhere, src, 'planted.txt');
  symlinkSync(elsewhere, join(dir, 'sersync-state'));
  const fresh = processLocations(join(dir, 'confxml.xml')).stateDir;
  defaultStates.push(fresh);
  const s = await start(dir, conf(dir, { stateDir: false }));
  assert.match(
    s.output(),
    new RegExp(
      `state: ignored the old state directory ${dir}/sersync-state: it is a symbolic link \\(it may have been planted`,
    ),
  );
  assert.doesNotMatch(s.output(), /queued again|state: imported/);
  assert.equal(await s.stop(), 0, s.output());
  rmSync(fresh, { recursive: true, force: true }); // a fresh start again
  rmSync(join(dir, 'sersync-state'));
  mkdirSync(join(dir, 'sersync-state'));
  await oldJournal(join(dir, 'sersync-state'), src, 'planted.txt');
  chmodSync(join(dir, 'sersync-state'), 0o770);
  const again = await start(dir, conf(dir, { stateDir: false }));
  assert.match(
    again.output(),
    /ignored the old state directory .*: it is writable by other users \(mode 770\)/,
  );
  assert.doesNotMatch(again.output(), /queued again|state: imported/);
  assert.equal(await again.stop(), 0, again.output());
});
