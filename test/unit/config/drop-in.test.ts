// Config rules for drop-in use: -m NAME does not need the <sersync> rsync side, exclude rules in
// Boost syntax load (and an untranslatable one is an error at its line:col with the reason), the
// command plugin's timeout, and the -d start-up wait from the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { startWaitMs } from '../../../src/daemonize.js';
import { CWD, FILE, doc, fakeProbe, invalid, loaded, posOf } from './support.js';

const MISSING_ROOT = doc({
  localpath: '<localpath watch="/mnt/not-mounted"></localpath>',
  head: '<plugin name="socket"><localpath watch="/srv/www"><deshost ip="127.0.0.1" port="8009"/></localpath></plugin><plugin name="command"><param prefix="echo"/></plugin>',
  sersync: '<rsync><auth start="true" passwordfile="/nope"/></rsync>',
});

test('-m socket|refreshCDN|http: the <sersync> localpath, its remotes and the password file are not needed', () => {
  assert.ok(invalid(parseConfig(MISSING_ROOT, FILE, fakeProbe([]), CWD)).length > 0);
  for (const m of ['socket', 'refreshCDN', 'http'] as const) {
    const { config, warnings } = loaded(parseConfig(MISSING_ROOT, FILE, fakeProbe([]), CWD, m));
    assert.deepEqual(warnings, [], m);
    assert.deepEqual(
      config.sersync.localpaths.flatMap((l) => l.remotes),
      [],
    );
  }
});

test('-m command: the <sersync> localpath is its watch root; a missing one is a warning', () => {
  const r = loaded(parseConfig(MISSING_ROOT, FILE, fakeProbe([]), CWD, 'command'));
  assert.deepEqual(
    r.warnings.map((w) => [w.kind, w.path]),
    [['not-found', 'sersync/localpath@watch']],
  );
  assert.deepEqual(
    r.config.sersync.localpaths.map((l) => l.watch),
    ['/mnt/not-mounted'],
  );
});

test('Boost exclude rules load; an untranslatable one is bad-regex at its attribute with the reason', () => {
  const ok = doc({
    head: '<filter start="true"><exclude expression="(?i).*\\.LOG"/><exclude expression="tmp[[:digit:]]+"/></filter>',
  });
  const { config } = loaded(parseConfig(ok, FILE, fakeProbe(), CWD));
  const [log, tmp] = config.filter.excludes;
  assert.equal(log?.regex.test('a.log'), true);
  assert.equal(tmp?.regex.test('tmp123'), true);
  const bad = doc({ head: '<filter start="true"><exclude expression="(a)(?1)"/></filter>' });
  const issue = invalid(parseConfig(bad, FILE, fakeProbe(), CWD))[0];
  assert.ok(issue);
  assert.equal(issue.kind, 'bad-regex');
  assert.equal(issue.path, 'filter/exclude@expression');
  assert.deepEqual({ line: issue.line, col: issue.col }, posOf(bad, 'expression="(a)'));
  assert.match(issue.message, /recursion .* cannot be translated \(at offset 3\)/);
});

test('command plugin <param timeout>: seconds, default 30, 1-86400', () => {
  const xml = (attr: string): string =>
    doc({ head: `<plugin name="command"><param prefix="echo" ${attr}/></plugin>` });
  const timeout = (attr: string): number | undefined =>
    loaded(parseConfig(xml(attr), FILE, fakeProbe(), CWD)).config.plugins.command?.timeoutMs;
  assert.equal(timeout(''), 30_000);
  assert.equal(timeout('timeout="5"'), 5_000);
  for (const v of ['0', 'abc', '86401'])
    assert.equal(
      invalid(parseConfig(xml(`timeout="${v}"`), FILE, fakeProbe(), CWD))[0]?.kind,
      'bad-number',
    );
});

test('SERSYNC_START_TIMEOUT: whole seconds 1-86400, default 60 s', () => {
  assert.deepEqual(startWaitMs({}), { ok: true, value: 60_000 });
  assert.deepEqual(startWaitMs({ SERSYNC_START_TIMEOUT: '' }), { ok: true, value: 60_000 });
  assert.deepEqual(startWaitMs({ SERSYNC_START_TIMEOUT: ' 5 ' }), { ok: true, value: 5_000 });
  for (const v of ['0', '-1', '1.5', 'soon', '86401'])
    assert.equal(startWaitMs({ SERSYNC_START_TIMEOUT: v }).ok, false, v);
});
