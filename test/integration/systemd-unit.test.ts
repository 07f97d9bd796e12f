// conf/sersync.service: the settings the install guide promises, and `systemd-analyze verify`
// (strict: any warning fails) where the tool exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/exit-codes.js';
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
  assert.equal(one('Type'), 'simple');
  const exec = (one('ExecStart') ?? '').split(/\s+/);
  assert.deepEqual(exec, ['/usr/local/bin/sersync', '-o', '/etc/sersync/confxml.xml']);
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
});

test('systemd-analyze verify accepts the unit without a warning', (t) => {
  const version = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (version.error) {
    t.diagnostic(`systemd-analyze not available (${version.error.message}): verification not run`);
    return;
  }
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
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const exe of ['usr/local/bin/sersync', 'bin/kill']) {
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
