// What a valid file turns into: template defaults, units, path resolution, switches, regex
// semantics, the crontab rule, every <localpath> kept, plugin watches kept apart, deep freezing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../src/config/types.js';
import { processLocations } from '../../../src/state/locations.js';
import { ANYTHING_EXISTS, CWD, doc, fakeProbe, FILE, loaded, parse, TEMPLATE } from './support.js';

test('a minimal file takes every template default', () => {
  const { config, warnings } = loaded(
    parse(
      '<head><sersync><localpath watch="/opt/tongbu"><remote ip="127.0.0.1" name="tongbu1"/></localpath></sersync></head>',
    ),
  );
  assert.deepEqual(warnings, []);
  assert.equal(config.file, `${CWD}/${FILE}`);
  assert.deepEqual(config.host, {
    enabled: false,
    hostip: DEFAULTS.hostip,
    port: DEFAULTS.hostPort,
  });
  assert.equal(config.debug, false);
  assert.equal(config.xfs, false);
  assert.deepEqual(config.filter, { enabled: false, excludes: [] });
  assert.deepEqual(config.inotify, DEFAULTS.inotify);
  assert.deepEqual(config.sersync.localpaths, [
    { watch: '/opt/tongbu', remotes: [{ ip: '127.0.0.1', name: 'tongbu1' }] },
  ]);
  assert.deepEqual(config.sersync.rsync, {
    commonParamsRaw: '-artuz',
    commonParams: ['-artuz'],
    auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
    userDefinedPort: { enabled: false, port: 874 },
    timeout: { enabled: false, seconds: 100 },
    ssh: { enabled: false },
  });
  assert.deepEqual(config.sersync.failLog, {
    path: '/tmp/rsync_fail_log.sh',
    retryIntervalMs: 3_600_000,
    retryCapMs: 60_000,
    stateDir: processLocations(config.file).stateDir,
  });
  assert.deepEqual(config.sersync.crontab, {
    enabled: false,
    intervalMs: 600 * 60_000,
    excludes: [],
    filterEnabled: false,
  });
  assert.deepEqual(config.sersync.plugin, { enabled: false, name: 'command' });
  assert.deepEqual(config.plugins, {});
  assert.deepEqual(config.daemon, {
    watcher: 'auto',
    skipEditorTemp: true,
    quietMs: 20,
    pidFile: `${processLocations(config.file).stateDir}/sersync.pid`,
    logFile: processLocations(config.file).logFile,
    rootGuard: true,
    maxDeletePercent: 50,
  });
});

test('the original template loads without warnings and keeps its plugin sections', () => {
  const { config, warnings } = loaded(parse(TEMPLATE));
  assert.deepEqual(warnings, []);
  assert.equal(config.host.enabled, true);
  const cmd = config.plugins.command!;
  assert.deepEqual(cmd.prefix, ['/bin/sh']);
  assert.deepEqual(cmd.suffix, []);
  assert.equal(cmd.ignoreError, true);
  assert.deepEqual(config.plugins.socket!.localpaths, [
    { watch: '/opt/tongbu', deshosts: [{ ip: '192.168.138.20', port: 8009 }] },
  ]);
  const cdn = config.plugins.refreshCDN!.localpaths[0]!;
  assert.equal(cdn.watch, '/data0/htdocs/cms.xoyo.com/site');
  assert.deepEqual(cdn.cdninfo, {
    domainname: 'ccms.chinacache.com',
    port: 80,
    username: 'xxxx',
    passwd: 'xxxx',
  });
  assert.equal(cdn.sendurlBase, 'http://pic.xoyo.com/cms');
  assert.deepEqual(cdn.regexurl, {
    regex: false,
    match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images',
  });
});

test('units: minutes and seconds become milliseconds; seconds stay seconds for rsync --timeout', () => {
  const { config } = loaded(
    parse(
      doc({
        sersync:
          '<rsync><timeout start="true" time="42"/></rsync><failLog path="/tmp/f.sh" timeToExecute="5" retryCap="30"/><crontab start="true" schedule="15"/>',
      }),
    ),
  );
  assert.deepEqual(config.sersync.rsync.timeout, { enabled: true, seconds: 42 });
  assert.equal(config.sersync.failLog.retryIntervalMs, 5 * 60_000);
  assert.equal(config.sersync.failLog.retryCapMs, 30_000);
  assert.equal(config.sersync.crontab.intervalMs, 15 * 60_000);
  assert.equal(config.sersync.crontab.enabled, true);
});

test('relative paths resolve against cwd; trailing slashes go; "/" stays "/"', () => {
  const probe = fakeProbe(['/work/data/src', '/'], { '/work/secrets/rsync.pas': 0o100600 });
  const xml = doc({
    localpath:
      '<localpath watch="data/src//"><remote ip="h" name="m"/></localpath><localpath watch="/"><remote ip="h2" name="m"/></localpath>',
    sersync:
      '<rsync><auth start="true" passwordfile="secrets/rsync.pas"/></rsync><failLog path="logs/fail.sh"/>',
    head: '<daemon pidFile="run/s.pid"/>',
  });
  // "/" contains every other root: use only the relative one for the nesting-free check below.
  const noRoot = xml.replace('<localpath watch="/"><remote ip="h2" name="m"/></localpath>', '');
  const { config } = loaded(parse(noRoot, probe));
  assert.equal(config.sersync.localpaths[0]?.watch, '/work/data/src');
  assert.equal(config.sersync.rsync.auth.passwordFile, '/work/secrets/rsync.pas');
  assert.equal(config.sersync.failLog.path, '/work/logs/fail.sh');
  assert.equal(config.sersync.failLog.stateDir, processLocations(config.file).stateDir);
  assert.equal(config.daemon.pidFile, '/work/run/s.pid');
  assert.equal(config.daemon.logFile, processLocations(config.file).logFile);
  const onlyRoot = doc({
    localpath: '<localpath watch="/"><remote ip="h2" name="m"/></localpath>',
  });
  assert.equal(loaded(parse(onlyRoot, probe)).config.sersync.localpaths[0]?.watch, '/');
});

test('switches: only the exact "true" is on', () => {
  const xml = doc({
    head: '<inotify><delete start="false"/><createFile start="true"/><modify start="True"/><attrib start="1"/></inotify>',
  });
  const { config, warnings } = loaded(parse(xml));
  assert.equal(config.inotify.delete, false);
  assert.equal(config.inotify.createFile, true);
  assert.equal(config.inotify.modify, false);
  assert.equal(config.inotify.attrib, false);
  assert.equal(config.inotify.closeWrite, DEFAULTS.inotify.closeWrite);
  assert.deepEqual(
    warnings.map((w) => w.path),
    ['inotify/modify@start', 'inotify/attrib@start'],
  );
});

test('tag and attribute names ignore case and come out in the schema spelling', () => {
  const xml =
    '<HEAD><INOTIFY><CREATEFILE START="true"/></INOTIFY><SerSync><LocalPath Watch="/opt/tongbu"><REMOTE IP="h" NAME="m"/></LocalPath><FAILLOG PATH="/x/f.sh" TIMETOEXECUTE="2"/></SerSync></HEAD>';
  const { config, warnings } = loaded(parse(xml));
  assert.deepEqual(warnings, []);
  assert.equal(config.inotify.createFile, true);
  assert.deepEqual(config.sersync.localpaths[0]?.remotes, [{ ip: 'h', name: 'm' }]);
  assert.equal(config.sersync.failLog.retryIntervalMs, 120_000);
});

test('filter excludes are full-match regexes (boost::regex_match)', () => {
  const { config } = loaded(
    parse(
      doc({
        head: '<filter start="true"><exclude expression="(.*)\\.gz"/><exclude expression="^info/*"/></filter>',
      }),
    ),
  );
  const [gz, info] = config.filter.excludes;
  assert.ok(gz?.regex.test('/a/b.gz'));
  assert.ok(!gz?.regex.test('/a/b.gz.bak'));
  assert.ok(info?.regex.test('info'));
  assert.ok(info?.regex.test('info/'));
  assert.ok(!info?.regex.test('info/x'));
  assert.equal(gz?.expression, '(.*)\\.gz');
});

test('crontab: excludes only count when crontabfilter is on; with filter on they keep the crontab on', () => {
  const off = loaded(
    parse(
      doc({
        sersync:
          '<crontab start="true"><crontabfilter start="false"><exclude expression="*.php"/></crontabfilter></crontab>',
      }),
    ),
  );
  assert.deepEqual(off.config.sersync.crontab.excludes, []);
  assert.equal(off.config.sersync.crontab.enabled, true);
  const on = loaded(
    parse(
      doc({
        head: '<filter start="true"/>',
        sersync:
          '<crontab start="true"><crontabfilter start="true"><exclude expression="*.php"/><exclude expression="info/*"/></crontabfilter></crontab>',
      }),
    ),
  );
  assert.deepEqual(on.config.sersync.crontab.excludes, ['*.php', 'info/*']);
  assert.equal(on.config.sersync.crontab.enabled, true);
  assert.equal(on.config.sersync.crontab.disabledReason, undefined);
  const rule = loaded(
    parse(doc({ head: '<filter start="true"/>', sersync: '<crontab start="true"/>' })),
  );
  assert.equal(rule.config.sersync.crontab.enabled, false);
  assert.match(rule.config.sersync.crontab.disabledReason ?? '', /crontabfilter/);
});

test('crontab schedule that is not a number becomes 600 minutes, with a warning', () => {
  const { config, warnings } = loaded(
    parse(doc({ sersync: '<crontab start="true" schedule="hourly"/>' })),
  );
  assert.equal(config.sersync.crontab.intervalMs, 600 * 60_000);
  assert.deepEqual(
    warnings.map((w) => w.kind),
    ['value-replaced'],
  );
});

test('every <localpath> is kept, in order, each with its remotes', () => {
  const xml = doc({
    sersync:
      '<localpath watch="/data/pic"><remote ip="a" name="pic"/><remote ip="b" name="pic"/></localpath>',
  });
  const { config } = loaded(parse(xml, ANYTHING_EXISTS));
  assert.deepEqual(
    config.sersync.localpaths.map((l) => [l.watch, l.remotes.length]),
    [
      ['/opt/tongbu', 1],
      ['/data/pic', 2],
    ],
  );
});

test("a started plugin's <localpath watch> never replaces the sync roots", () => {
  const xml = doc({
    head: '<plugin name="socket"><localpath watch="/opt/other"><deshost ip="127.0.0.1" port="9"/></localpath></plugin>',
    sersync: '<plugin start="true" name="socket"/>',
  });
  const { config } = loaded(parse(xml));
  assert.deepEqual(
    config.sersync.localpaths.map((l) => l.watch),
    ['/opt/tongbu'],
  );
  assert.equal(config.plugins.socket?.localpaths[0]?.watch, '/opt/other');
  assert.deepEqual(config.sersync.plugin, { enabled: true, name: 'socket' });
});

test('commonParams and command prefix/suffix are split into words, nothing expanded', () => {
  const xml = doc({
    sersync: `<rsync><commonParams params="-artuz -e 'ssh -p 22' --exclude=&quot;$HOME/*&quot;"/></rsync>`,
    head: `<plugin name="command"><param prefix="/usr/bin/notify 'a b'" suffix="--tag \`x\`" ignoreError="false"/></plugin>`,
  });
  const { config } = loaded(parse(xml));
  assert.deepEqual(config.sersync.rsync.commonParams, [
    '-artuz',
    '-e',
    'ssh -p 22',
    '--exclude=$HOME/*',
  ]);
  assert.equal(config.sersync.rsync.commonParamsRaw, `-artuz -e 'ssh -p 22' --exclude="$HOME/*"`);
  const cmd = config.plugins.command!;
  assert.deepEqual(cmd.prefix, ['/usr/bin/notify', 'a b']);
  assert.deepEqual(cmd.suffix, ['--tag', '`x`']);
  assert.equal(cmd.ignoreError, false);
});

test('auth off: the password file is not checked; ssh on: not checked either', () => {
  assert.ok(
    parse(doc({ sersync: '<rsync><auth start="false" passwordfile="/missing"/></rsync>' })).ok,
  );
  assert.ok(
    parse(
      doc({
        sersync: '<rsync><auth start="true" passwordfile="/missing"/><ssh start="true"/></rsync>',
      }),
    ).ok,
  );
  assert.ok(
    !parse(doc({ sersync: '<rsync><auth start="true" passwordfile="/missing"/></rsync>' })).ok,
  );
});

test('entities in values are decoded', () => {
  const { config } = loaded(
    parse(
      doc({
        localpath: '<localpath watch="/opt/a&amp;b"><remote ip="h" name="m&lt;1&gt;"/></localpath>',
      }),
      ANYTHING_EXISTS,
    ),
  );
  const lp = config.sersync.localpaths[0]!;
  assert.equal(lp.watch, '/opt/a&b');
  assert.equal(lp.remotes[0]!.name, 'm<1>');
});

test('the config is deeply frozen', () => {
  const { config } = loaded(parse(TEMPLATE));
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.sersync.localpaths[0]?.remotes));
  assert.ok(Object.isFrozen(config.plugins.refreshCDN?.localpaths[0]?.cdninfo));
  assert.throws(() => {
    (config.sersync.rsync.commonParams as string[]).push('--evil');
  }, TypeError);
});

test('daemon extension values are read', () => {
  const { config } = loaded(
    parse(
      doc({
        head: '<daemon watcher="parcel" skipEditorTemp="false" quietMs="0" logFile="/var/log/s.log" rootGuard="false" maxDeletePercent="20"/>',
      }),
    ),
  );
  assert.deepEqual(config.daemon, {
    watcher: 'parcel',
    skipEditorTemp: false,
    quietMs: 0,
    pidFile: `${processLocations(config.file).stateDir}/sersync.pid`,
    logFile: '/var/log/s.log',
    rootGuard: false,
    maxDeletePercent: 20,
  });
});
