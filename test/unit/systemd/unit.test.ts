// systemdUnit / execWord: the generated unit's choices for a config. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../src/config/types.js';
import { execWord, systemdUnit, type UnitInput } from '../../../src/systemd/unit.js';
import { testConfig } from '../../helpers/config-fixture.js';

function withFailLog(c: Config, path: string, stateDir: string): Config {
  return { ...c, sersync: { ...c.sersync, failLog: { ...c.sersync.failLog, path, stateDir } } };
}

function unit(over: Partial<UnitInput> = {}): Map<string, string[]> {
  const text = systemdUnit({
    command: ['/usr/bin/sersync'],
    configFile: '/etc/sersync/confxml.xml',
    config: testConfig(),
    notify: true,
    ...over,
  });
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1] ?? '', [...(keys.get(m[1] ?? '') ?? []), m[2] ?? '']);
  }
  return keys;
}

test('execWord: plain words as they are; spaces, quotes, % and $ quoted or escaped', () => {
  assert.equal(execWord('/usr/bin/sersync'), '/usr/bin/sersync');
  assert.equal(execWord('/srv/my conf.xml'), '"/srv/my conf.xml"');
  assert.equal(execWord('/a/50%.xml'), '/a/50%%.xml');
  assert.equal(execWord('/a/$HOME.xml'), '/a/$$HOME.xml');
  assert.equal(execWord('/a/"q".xml'), '"/a/\\"q\\".xml"');
  assert.equal(execWord(''), '""');
});

test('the template layout: fail log in /tmp -> PrivateTmp=no, /tmp writable, ProtectHome=yes', () => {
  const u = unit();
  assert.deepEqual(u.get('ExecStart'), ['/usr/bin/sersync -o /etc/sersync/confxml.xml']);
  assert.deepEqual(u.get('Type'), ['notify']);
  assert.deepEqual(u.get('PrivateTmp'), ['no']);
  assert.deepEqual(u.get('ReadWritePaths'), ['-/tmp']);
  assert.deepEqual(u.get('ProtectHome'), ['yes']);
  assert.deepEqual(u.get('ProtectSystem'), ['strict']);
  assert.deepEqual(u.get('CapabilityBoundingSet'), ['CAP_DAC_READ_SEARCH']);
  assert.deepEqual(u.get('SystemCallFilter'), ['@system-service']);
  assert.deepEqual(u.get('RestrictAddressFamilies'), ['AF_UNIX AF_INET AF_INET6']);
  assert.equal(u.get('MemoryDenyWriteExecute'), undefined);
});

test('fail log and state elsewhere: both writable, PrivateTmp=yes', () => {
  const c = withFailLog(testConfig(), '/var/lib/sersync/fail.sh', '/srv/state/sersync');
  const u = unit({ config: c });
  assert.deepEqual(u.get('PrivateTmp'), ['yes']);
  assert.deepEqual(u.get('ReadWritePaths'), ['-/srv/state/sersync', '-/var/lib/sersync']);
  const nested = withFailLog(testConfig(), '/var/lib/sersync/fail.sh', '/var/lib/sersync/state');
  assert.deepEqual(unit({ config: nested }).get('ReadWritePaths'), ['-/var/lib/sersync']);
});

test('ProtectHome=read-only when a root, the password file or ssh keys are under a home dir', () => {
  assert.deepEqual(unit({ config: testConfig({ roots: ['/home/www'] }) }).get('ProtectHome'), [
    'read-only',
  ]);
  assert.deepEqual(
    unit({ config: testConfig({ rsync: { ssh: { enabled: true } } }) }).get('ProtectHome'),
    ['read-only'],
  );
  assert.deepEqual(unit({ configFile: '/root/confxml.xml' }).get('ProtectHome'), ['read-only']);
  assert.deepEqual(unit({ config: testConfig({ roots: ['/homework'] }) }).get('ProtectHome'), [
    'yes',
  ]);
});

test('no sd_notify sender: Type=exec; a status port below 1024 keeps CAP_NET_BIND_SERVICE', () => {
  assert.deepEqual(unit({ notify: false }).get('Type'), ['exec']);
  const c = testConfig();
  const low = { ...c, host: { enabled: true, hostip: '127.0.0.1', port: 80 } };
  assert.deepEqual(unit({ config: low }).get('CapabilityBoundingSet'), [
    'CAP_DAC_READ_SEARCH CAP_NET_BIND_SERVICE',
  ]);
  assert.deepEqual(unit({ command: ['/opt/node v20/bin/node', '/x/cli.js'] }).get('ExecStart'), [
    '"/opt/node v20/bin/node" /x/cli.js -o /etc/sersync/confxml.xml',
  ]);
});
