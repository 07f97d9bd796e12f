// Registry: -m watch roots, start-up checks, and construction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlugin, createPlugin, pluginWatchRoots } from '../../../src/plugins/registry.js';
import { memoryLogger } from '../../helpers/memory-logger.js';
import { makeConfig, rule } from './fixture.js';
import type { PluginsConfig } from '../../../src/config/types.js';

const plugins: PluginsConfig = {
  command: {
    prefixRaw: '/bin/sh',
    suffixRaw: '',
    prefix: ['/bin/sh'],
    suffix: [],
    ignoreError: true,
    timeoutMs: 30_000,
    filterEnabled: false,
    includes: [rule('(.*)\\.php')],
  },
  socket: {
    localpaths: [
      { watch: '/opt/tongbu/', deshosts: [{ ip: '127.0.0.1', port: 8009 }] },
      { watch: '/opt/tongbu', deshosts: [] },
    ],
  },
  refreshCDN: {
    localpaths: [
      {
        watch: '/data0/htdocs',
        cdninfo: { domainname: 'ccms.chinacache.com', port: 80, username: 'u', passwd: '' },
        sendurlBase: 'http://x',
        regexurl: { regex: true, match: '(' },
      },
    ],
  },
  http: { localpaths: [{ watch: '/srv', deshosts: [{ url: 'https://example.invalid/h' }] }] },
};
const config = makeConfig(plugins, ['/opt/tongbu', '/srv/www']);

test('pluginWatchRoots: own localpaths (deduplicated, no trailing slash) or the sersync roots for command', () => {
  assert.deepEqual(pluginWatchRoots('socket', config), ['/opt/tongbu']);
  assert.deepEqual(pluginWatchRoots('refreshCDN', config), ['/data0/htdocs']);
  assert.deepEqual(pluginWatchRoots('http', config), ['/srv']);
  assert.deepEqual(pluginWatchRoots('command', config), ['/opt/tongbu', '/srv/www']);
  assert.deepEqual(pluginWatchRoots('http', makeConfig({})), []);
});

test('checkPlugin: a missing section is an error', () => {
  assert.deepEqual(checkPlugin('socket', makeConfig({}), 'standalone').errors, [
    'plugin socket: no <plugin name="socket"> section in /etc/confxml.xml',
  ]);
});

test('checkPlugin: per-plugin rules', () => {
  const sock = checkPlugin('socket', config, 'standalone');
  assert.deepEqual(sock.errors, [
    'plugin socket: <localpath watch="/opt/tongbu"> has no <deshost ip port>',
  ]);
  const cdn = checkPlugin('refreshCDN', config, 'standalone');
  assert.equal(cdn.errors.length, 2, cdn.errors.join('\n'));
  assert.match(cdn.errors[0]!, /must not be empty/);
  assert.match(cdn.errors[1]!, /not a valid regular expression/);
  assert.match(checkPlugin('http', config, 'standalone').errors[0]!, /must be an http:\/\/ URL/);
  assert.match(checkPlugin('command', config, 'standalone').warnings[0]!, /shell script/);
  const empty = makeConfig({ command: { ...plugins.command!, prefix: [], prefixRaw: '' } });
  assert.match(checkPlugin('command', empty, 'standalone').errors[0]!, /prefix> is empty/);
});

test('checkPlugin sersync mode: a plugin localpath outside every sync root is a warning', () => {
  assert.deepEqual(checkPlugin('socket', config, 'sersync').warnings, []);
  assert.equal(checkPlugin('refreshCDN', config, 'sersync').warnings.length, 1);
  assert.equal(checkPlugin('http', config, 'sersync').warnings.length, 0, '/srv contains /srv/www');
  assert.equal(checkPlugin('refreshCDN', config, 'standalone').warnings.length, 0);
});

test('createPlugin throws (a bug) without a section, and builds each configured plugin', async () => {
  assert.throws(() => createPlugin('http', makeConfig({}), memoryLogger()), /Internal error/);
  for (const name of ['command', 'socket', 'refreshCDN', 'http'] as const) {
    const p = createPlugin(name, config, memoryLogger());
    assert.equal(p.name, name);
    assert.equal(p.stats().queued, 0);
    await p.close();
  }
});
