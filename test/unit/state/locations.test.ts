// Default state and log locations: per config file, outside world-writable directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLocations, instanceName } from '../../../src/state/locations.js';

test('instance names: a readable slug of the config path plus a hash; distinct files never share one', () => {
  const a = instanceName('/etc/sersync/confxml.xml');
  assert.match(a, /^etc-sersync-confxml-[0-9a-f]{8}$/);
  assert.equal(instanceName('/etc/sersync/confxml.xml'), a, 'stable');
  assert.notEqual(instanceName('/etc/sersync/img.xml'), a);
  assert.notEqual(instanceName('/opt/a/confxml.xml'), instanceName('/opt/b/confxml.xml'));
  const hostile = instanceName("/srv/x y/$(rm -rf)/'q'\n/../..conf.xml");
  assert.match(hostile, /^[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{8}$/);
  assert.ok(!hostile.includes('/'));
  const long = instanceName(`/${'d'.repeat(300)}/c.xml`);
  assert.ok(long.length <= 49, long);
});

test('root: /var/lib/sersync/INSTANCE and /var/log/sersync/INSTANCE.log', () => {
  const name = instanceName('/etc/s/c.xml');
  assert.deepEqual(
    defaultLocations({ configFile: '/etc/s/c.xml', uid: 0, xdgStateHome: '/x', home: '/root' }),
    { stateDir: `/var/lib/sersync/${name}`, logFile: `/var/log/sersync/${name}.log` },
  );
});

test('other users: $XDG_STATE_HOME (absolute only), else ~/.local/state; the log in the state dir', () => {
  const name = instanceName('/home/u/c.xml');
  const at = (xdgStateHome: string | undefined) =>
    defaultLocations({ configFile: '/home/u/c.xml', uid: 1000, xdgStateHome, home: '/home/u' });
  assert.deepEqual(at('/state'), {
    stateDir: `/state/sersync/${name}`,
    logFile: `/state/sersync/${name}/sersync.log`,
  });
  for (const ignored of [undefined, '', 'relative/dir'])
    assert.equal(at(ignored).stateDir, `/home/u/.local/state/sersync/${name}`);
});
