// conf/sersync.service and `sersync --systemd-unit`: the settings the install guide promises,
// `systemd-analyze verify` (strict: any warning fails) and `systemd-analyze security` (exposure
// <= 5.0). .ci/run installs systemd; without systemd-analyze those checks are skipped, saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/exit-codes.js';
import { exampleUnit } from '../../src/systemd/example.js';
import { CLI, confXml } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

// dist-*/test/integration -> the checkout root.
const UNIT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'conf',
  'sersync.service',
);

/** section -> key -> values (a key may repeat). Comments and blank lines skipped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = new Map();
      out.set(head[1] ?? '', section);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(section && eq > 0, `unexpected line: ${line}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

test('the unit runs sersync in the foreground and does not restart on configuration errors', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const service = unit.get('Service');
  assert.ok(service, '[Service] section');
  const one = (k: string): string | undefined => {
    const v = service.get(k);
    assert.ok(v === undefined || v.length === 1, `${k} set once`);
    return v?.[0];
  };
  assert.equal(one('Type'), 'notify', 'READY=1 once the watches are in place');
  const exec = (one('ExecStart') ?? '').split(/\s+/);
  // Whatever npm's prefix is (/usr/local/bin or /usr/bin), systemd's PATH finds the bin link.
  assert.deepEqual(exec, ['/usr/bin/env', 'sersync', '-o', '/etc/sersync/confxml.xml']);
  assert.ok(!exec.some((w) => /^-[a-z]*d/.test(w)), 'no -d under systemd');
  assert.equal(one('Restart'), 'on-failure');
  const prevent = (one('RestartPreventExitStatus') ?? '').split(/\s+/).map(Number);
  for (const code of [ExitCode.CONFIG, ExitCode.USAGE, ExitCode.NO_INPUT, ExitCode.UNAVAILABLE]) {
    assert.ok(prevent.includes(code), `RestartPreventExitStatus has ${code}`);
  }
  assert.ok(!prevent.includes(ExitCode.SOFTWARE), 'an internal error is restarted');
  assert.equal(
    one('ExecReload'),
    '/bin/kill -HUP $MAINPID',
    'systemctl reload sends SIGHUP (config reload)',
  );
  // Only the main process gets SIGTERM, so in-flight rsync runs can finish during the 30 s drain.
  assert.equal(one('KillMode'), 'mixed');
  assert.ok(
    Number.parseInt(one('TimeoutStopSec') ?? '0', 10) > 30,
    'TimeoutStopSec above the drain time',
  );
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  // The template's fail log is /tmp/rsync_fail_log.sh: the real /tmp, writable.
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('PrivateTmp'), 'no');
  assert.deepEqual(service.get('ReadWritePaths'), ['-/tmp']);
  assert.equal(one('MemoryDenyWriteExecute'), undefined, 'V8 needs W+X memory');
});

test('conf/sersync.service is the generator output for the template config', async () => {
  const r = await loadConfig(join(dirname(UNIT), 'confxml.xml'), { cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.error));
  assert.equal(
    readFileSync(UNIT, 'utf8'),
    exampleUnit(r.value.config),
    'regenerate it: node dist/src/systemd/example.js > conf/sersync.service',
  );
});

function analyzer(t: TestContext): boolean {
  const version = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (version.error) {
    t.skip(`systemd-analyze not installed (${version.error.message}); .ci/run installs systemd`);
    return false;
  }
  return true;
}

test('sersync --systemd-unit prints a unit for this install that verifies, with exposure <= 5.0', (t) => {
  if (!analyzer(t)) return;
  const tmp = tmpDir('sersync-gen-unit-');
  t.after(tmp.cleanup);
  const watch = join(tmp.path, 'data');
  mkdirSync(watch);
  const variants = [
    { name: 'template-like: fail log in /tmp', failLog: join(tmp.path, 'fail.sh'), ssh: false },
    { name: 'ssh, fail log in /var/lib/sersync', failLog: '/var/lib/sersync/fail.sh', ssh: true },
  ];
  for (const v of variants) {
    const conf = join(tmp.path, `${v.ssh ? 'ssh' : 'daemon'}.xml`);
    let xml = confXml({
      roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: 873,
      failLog: v.failLog,
    });
    if (v.ssh) xml = xml.replace(/<ssh start="false"/, '<ssh start="true"');
    writeFileSync(conf, xml);
    const gen = spawnSync(process.execPath, [CLI, '--systemd-unit', '-o', conf], {
      encoding: 'utf8',
    });
    assert.equal(gen.status, 0, gen.stderr);
    const unitFile = join(tmp.path, `${v.ssh ? 'ssh' : 'daemon'}-sersync.service`);
    writeFileSync(unitFile, gen.stdout);
    const service = parseUnit(gen.stdout).get('Service');
    assert.ok(service, v.name);
    const exec = service.get('ExecStart')?.[0]?.split(' ') ?? [];
    assert.equal(exec[0], realpathSync(process.execPath), `${v.name}: this node, absolute`);
    assert.equal(exec[1], realpathSync(CLI), `${v.name}: this install's cli.js`);
    assert.deepEqual(exec.slice(2), ['-o', conf]);
    assert.deepEqual(service.get('Type'), ['notify']);
    assert.deepEqual(service.get('PrivateTmp'), [v.ssh ? 'yes' : 'no'], v.name);
    assert.deepEqual(
      service.get('ProtectHome'),
      [v.ssh ? 'read-only' : 'yes'],
      `${v.name}: ssh keys`,
    );

    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', unitFile], {
      encoding: 'utf8',
    });
    const vout = `${verify.stdout}${verify.stderr}`.trim();
    assert.equal(verify.status, 0, `${v.name}: ${vout}`);
    assert.equal(vout, '', `${v.name}: systemd-analyze verify printed warnings`);

    const sec = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', '--threshold=50', '--no-pager', unitFile],
      { encoding: 'utf8' },
    );
    const level = /Overall exposure level for \S+: (\d+\.\d)/.exec(sec.stdout);
    assert.ok(level, `${v.name}: ${sec.stdout}${sec.stderr}`);
    assert.ok(Number(level[1]) <= 5.0, `${v.name}: exposure ${level[1]} > 5.0`);
    assert.equal(sec.status, 0, `${v.name}: --threshold=50 failed:\n${sec.stdout}`);
    t.diagnostic(`${v.name}: systemd-analyze security exposure ${level[1]}`);
  }
});

test('systemd-analyze verify accepts conf/sersync.service without a warning', (t) => {
  if (!analyzer(t)) return;
  const units = '/usr/lib/systemd/system';
  if (!existsSync(units)) {
    t.diagnostic(`${units} missing (not a systemd host): verification not run`);
    return;
  }
  // An alternate root holding the system's units, the unit as installed, and a stand-in for the
  // npm-installed binary, so verify checks ExecStart's path without touching the real system.
  const tmp = tmpDir('sersync-unit-');
  t.after(tmp.cleanup);
  const root = tmp.path;
  cpSync(units, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  cpSync(UNIT, join(root, 'etc/systemd/system/sersync.service'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const exe of ['usr/bin/env', 'bin/kill']) {
    writeFileSync(join(root, exe), '#!/bin/sh\nexit 0\n');
    chmodSync(join(root, exe), 0o755);
  }

  const r = spawnSync(
    'systemd-analyze',
    ['verify', `--root=${root}`, '--man=no', 'sersync.service'],
    { encoding: 'utf8' },
  );
  assert.equal(r.error, undefined);
  const output = `${r.stdout}${r.stderr}`.trim();
  assert.equal(r.status, 0, output);
  assert.equal(output, '', 'systemd-analyze printed warnings');
});
