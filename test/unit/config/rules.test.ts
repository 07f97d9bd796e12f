// One test per validation rule: each asserts the result kind ('invalid' -> exit 78 in the CLI, or a
// usable config with a warning), the issue kind, the XML path, and the line:col of the culprit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigIssueKind } from '../../../src/config/issues.js';
import type { FsProbe } from '../../../src/config/validate.js';
import {
  ANYTHING_EXISTS,
  doc,
  expectIssue,
  fakeProbe,
  invalid,
  loaded,
  parse,
  posOf,
} from './support.js';

interface Rule {
  readonly rule: string;
  readonly xml: string;
  readonly severity: 'error' | 'warning';
  readonly kind: ConfigIssueKind;
  readonly path: string;
  /** Text whose first occurrence marks the expected line:col. */
  readonly at: string;
  readonly probe?: FsProbe;
}

const AUTH_ON = '<rsync><auth start="true" users="u" passwordfile="/etc/rsync.pas"/></rsync>';
const SOCKET = (deshost: string): string =>
  `<plugin name="socket"><localpath watch="/opt/tongbu">${deshost}</localpath></plugin>`;

const RULES: readonly Rule[] = [
  // --- names
  {
    rule: 'root element must be <head>',
    xml: '<config>\n  <sersync/>\n</config>',
    severity: 'error',
    kind: 'wrong-root',
    path: 'config',
    at: '<config>',
  },
  {
    rule: 'unknown element: warning with a did-you-mean hint',
    xml: doc({ sersync: '<rsync>\n<comonParams params="-az"/></rsync>' }),
    severity: 'warning',
    kind: 'unknown-element',
    path: 'sersync/rsync/comonParams',
    at: '<comonParams',
  },
  {
    rule: 'unknown attribute: warning',
    xml: doc({ head: '<debug start="false" verbose="1"/>' }),
    severity: 'warning',
    kind: 'unknown-attribute',
    path: 'debug@verbose',
    at: 'verbose=',
  },
  {
    rule: 'a repeated single element: the first one wins',
    xml: doc({ sersync: '<rsync/>\n    <RSYNC/>' }),
    severity: 'warning',
    kind: 'duplicate-element',
    path: 'sersync/rsync',
    at: '<RSYNC/>',
  },
  {
    rule: 'an attribute given twice with different case',
    xml: doc({ head: '<debug start="true" START="false"/>' }),
    severity: 'warning',
    kind: 'duplicate-attribute',
    path: 'debug@START',
    at: 'START=',
  },
  {
    rule: 'text inside an element is ignored',
    xml: doc({ head: '<debug start="false">yes please</debug>' }),
    severity: 'warning',
    kind: 'text-ignored',
    path: 'debug',
    at: '<debug',
  },
  // --- value types
  {
    rule: 'a switch other than "true"/"false" counts as false',
    xml: doc({ head: '<debug start="TRUE"/>' }),
    severity: 'warning',
    kind: 'not-boolean',
    path: 'debug@start',
    at: 'start="TRUE"',
  },
  {
    rule: 'host port must be a number',
    xml: doc({ head: '<host hostip="localhost" port="eighty"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'host@port',
    at: 'port="eighty"',
  },
  {
    rule: 'userDefinedPort port must be a number',
    xml: doc({ sersync: '<rsync><userDefinedPort start="true" port="87a4"/></rsync>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/rsync/userDefinedPort@port',
    at: 'port="87a4"',
  },
  {
    rule: 'userDefinedPort port must be <= 65535',
    xml: doc({ sersync: '<rsync><userDefinedPort start="true" port="70000"/></rsync>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/rsync/userDefinedPort@port',
    at: 'port="70000"',
  },
  {
    rule: 'timeout must not be negative',
    xml: doc({ sersync: '<rsync>\n<timeout start="true" time="-5"/></rsync>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/rsync/timeout@time',
    at: 'time="-5"',
  },
  {
    rule: 'timeToExecute must be >= 1 minute',
    xml: doc({ sersync: '<failLog path="/tmp/f.sh" timeToExecute="0"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/failLog@timeToExecute',
    at: 'timeToExecute=',
  },
  {
    rule: 'timeToExecute must fit a timer',
    xml: doc({ sersync: '<failLog timeToExecute="99999999"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/failLog@timeToExecute',
    at: 'timeToExecute=',
  },
  {
    rule: 'retryCap must be a whole number of seconds',
    xml: doc({ sersync: '<failLog retryCap="1.5"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'sersync/failLog@retryCap',
    at: 'retryCap=',
  },
  {
    rule: 'daemon quietMs must be 0-60000',
    xml: doc({ head: '<daemon quietMs="60001"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'daemon@quietMs',
    at: 'quietMs=',
  },
  {
    rule: 'daemon maxDeletePercent must be 1-100',
    xml: doc({ head: '<daemon maxDeletePercent="0"/>' }),
    severity: 'error',
    kind: 'bad-number',
    path: 'daemon@maxDeletePercent',
    at: 'maxDeletePercent=',
  },
  {
    rule: 'daemon rootGuard must be exactly true or false (a typo never turns the guard off)',
    xml: doc({ head: '<daemon rootGuard="off"/>' }),
    severity: 'error',
    kind: 'bad-choice',
    path: 'daemon@rootGuard',
    at: 'rootGuard=',
  },
  {
    rule: 'socket deshost port must be a number',
    xml: doc({ head: SOCKET('<deshost ip="127.0.0.1" port="x"/>') }),
    severity: 'error',
    kind: 'bad-number',
    path: 'plugin[name=socket]/localpath/deshost@port',
    at: 'port="x"',
  },
  {
    rule: 'refreshCDN port must be a number',
    xml: doc({
      head: '<plugin name="refreshCDN"><localpath watch="/w"><cdninfo domainname="d" port="" username="u" passwd="p"/><sendurl base="http://b"/></localpath></plugin>',
    }),
    severity: 'error',
    kind: 'bad-number',
    path: 'plugin[name=refreshCDN]/localpath/cdninfo@port',
    at: 'port=""',
  },
  // --- choices
  {
    rule: '<sersync><plugin name> must be a known plugin',
    xml: doc({ sersync: '<plugin start="false" name="mail"/>' }),
    severity: 'error',
    kind: 'bad-choice',
    path: 'sersync/plugin@name',
    at: 'name="mail"',
  },
  {
    rule: 'daemon watcher must be auto/inotify/parcel',
    xml: doc({ head: '<daemon watcher="fanotify"/>' }),
    severity: 'error',
    kind: 'bad-choice',
    path: 'daemon@watcher',
    at: 'watcher=',
  },
  {
    rule: 'an unknown head-level plugin section is ignored with a warning',
    xml: doc({ head: '<plugin name="refreshcdn"/>' }),
    severity: 'warning',
    kind: 'bad-choice',
    path: 'plugin[name=refreshcdn]@name',
    at: '<plugin name="refreshcdn"',
  },
  // --- regexes and words
  {
    rule: 'a bad <filter><exclude> regex',
    xml: doc({ head: '<filter start="true">\n<exclude expression="(.*\\.svn"/></filter>' }),
    severity: 'error',
    kind: 'bad-regex',
    path: 'filter/exclude@expression',
    at: 'expression=',
  },
  {
    rule: 'an <exclude> regex that would escape the full-match wrapper',
    xml: doc({ head: '<filter start="true"><exclude expression="a)|(b"/></filter>' }),
    severity: 'error',
    kind: 'bad-regex',
    path: 'filter/exclude@expression',
    at: 'expression=',
  },
  {
    rule: 'a bad command-plugin <include> regex',
    xml: doc({
      head: '<plugin name="command"><param prefix="/bin/echo"/><filter start="true"><include expression="*.php"/></filter></plugin>',
    }),
    severity: 'error',
    kind: 'bad-regex',
    path: 'plugin[name=command]/filter/include@expression',
    at: 'expression=',
  },
  {
    rule: 'a bad refreshCDN regexurl match (regex="true")',
    xml: doc({
      head: '<plugin name="refreshCDN"><localpath watch="/w"><cdninfo domainname="d" username="u" passwd="p"/><sendurl base="http://b"/><regexurl regex="true" match="site(["/></localpath></plugin>',
    }),
    severity: 'error',
    kind: 'bad-regex',
    path: 'plugin[name=refreshCDN]/localpath/regexurl@match',
    at: 'match=',
  },
  {
    rule: 'commonParams with an unterminated quote',
    xml: doc({ sersync: '<rsync><commonParams params="-az -e &quot;ssh -p 22"/></rsync>' }),
    severity: 'error',
    kind: 'bad-words',
    path: 'sersync/rsync/commonParams@params',
    at: 'params=',
  },
  {
    rule: 'command prefix with an unterminated quote',
    xml: doc({ head: '<plugin name="command"><param prefix="/bin/sh -c \'x"/></plugin>' }),
    severity: 'error',
    kind: 'bad-words',
    path: 'plugin[name=command]/param@prefix',
    at: 'prefix=',
  },
  // --- required values and elements
  {
    rule: 'an empty watch',
    xml: doc({ localpath: '<localpath watch="">\n<remote ip="127.0.0.1" name="m"/></localpath>' }),
    severity: 'error',
    kind: 'missing-value',
    path: 'sersync/localpath@watch',
    at: 'watch=""',
  },
  {
    rule: 'a <localpath> without watch',
    xml: doc({ localpath: '<localpath>\n<remote ip="127.0.0.1" name="m"/></localpath>' }),
    severity: 'error',
    kind: 'missing-value',
    path: 'sersync/localpath@watch',
    at: '<localpath>',
  },
  {
    rule: 'a <remote> with an empty ip',
    xml: doc({
      localpath: '<localpath watch="/opt/tongbu">\n<remote ip=" " name="m"/></localpath>',
    }),
    severity: 'error',
    kind: 'missing-value',
    path: 'sersync/localpath/remote@ip',
    at: 'ip=',
  },
  {
    rule: 'a <remote> without name',
    xml: doc({
      localpath: '<localpath watch="/opt/tongbu">\n<remote ip="127.0.0.1"/></localpath>',
    }),
    severity: 'error',
    kind: 'missing-value',
    path: 'sersync/localpath/remote@name',
    at: '<remote',
  },
  {
    rule: 'an empty failLog path',
    xml: doc({ sersync: '<failLog path="" timeToExecute="60"/>' }),
    severity: 'error',
    kind: 'missing-value',
    path: 'sersync/failLog@path',
    at: 'path=""',
  },
  {
    rule: 'a command plugin section without prefix',
    xml: doc({ head: '<plugin name="command"><param suffix=""/></plugin>' }),
    severity: 'error',
    kind: 'missing-value',
    path: 'plugin[name=command]/param@prefix',
    at: '<param',
  },
  {
    rule: 'no <localpath> at all: nothing to watch',
    xml: '<head>\n  <sersync>\n  </sersync>\n</head>',
    severity: 'error',
    kind: 'missing-element',
    path: 'sersync',
    at: '<sersync>',
  },
  {
    rule: 'no <sersync> at all: nothing to watch',
    xml: '<head>\n  <debug start="false"/>\n</head>',
    severity: 'error',
    kind: 'missing-element',
    path: 'sersync',
    at: '<head>',
  },
  {
    rule: 'a <localpath> with no <remote>',
    xml: doc({ localpath: '<localpath watch="/opt/tongbu"/>' }),
    severity: 'error',
    kind: 'missing-element',
    path: 'sersync/localpath',
    at: '<localpath',
  },
  {
    rule: 'a started plugin needs its head-level section',
    xml: doc({ sersync: '<plugin start="true" name="socket"/>' }),
    severity: 'error',
    kind: 'missing-element',
    path: 'sersync/plugin@name',
    at: 'name="socket"',
  },
  {
    rule: 'a plugin section needs a <localpath>',
    xml: doc({ head: '<plugin name="http">\n</plugin>' }),
    severity: 'error',
    kind: 'missing-element',
    path: 'plugin[name=http]',
    at: '<plugin name="http"',
  },
  {
    rule: 'a socket <localpath> needs a <deshost>',
    xml: doc({ head: SOCKET('') }),
    severity: 'error',
    kind: 'missing-element',
    path: 'plugin[name=socket]/localpath',
    at: '<localpath watch="/opt/tongbu"></localpath>',
  },
  // --- file system
  {
    rule: 'a missing watch directory is waited for (a disk not mounted yet): a warning',
    xml: doc(),
    probe: fakeProbe([]),
    severity: 'warning',
    kind: 'not-found',
    path: 'sersync/localpath@watch',
    at: 'watch=',
  },
  {
    rule: 'the watch path must be a directory',
    xml: doc(),
    probe: fakeProbe([], { '/opt/tongbu': 0o100644 }),
    severity: 'error',
    kind: 'wrong-file-type',
    path: 'sersync/localpath@watch',
    at: 'watch=',
  },
  {
    rule: 'the password file must exist (auth on)',
    xml: doc({ sersync: AUTH_ON }),
    severity: 'error',
    kind: 'not-found',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'the password file must be a file',
    xml: doc({ sersync: AUTH_ON }),
    probe: fakeProbe(['/opt/tongbu', '/etc/rsync.pas']),
    severity: 'error',
    kind: 'wrong-file-type',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'the password file must not be readable by others',
    xml: doc({ sersync: AUTH_ON }),
    probe: fakeProbe(['/opt/tongbu'], { '/etc/rsync.pas': 0o100644 }),
    severity: 'error',
    kind: 'insecure-mode',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'the password file must not be writable by others',
    xml: doc({ sersync: AUTH_ON }),
    probe: fakeProbe(['/opt/tongbu'], { '/etc/rsync.pas': 0o100602 }),
    severity: 'error',
    kind: 'insecure-mode',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'the password file must be readable by the user sersync (and so rsync) runs as',
    xml: doc({ sersync: AUTH_ON }),
    probe: { ...fakeProbe(['/opt/tongbu'], { '/etc/rsync.pas': 0o100600 }), readable: () => false },
    severity: 'error',
    kind: 'unreadable',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'running as root, the password file must be owned by root (rsync refuses it otherwise)',
    xml: doc({ sersync: AUTH_ON }),
    probe: {
      ...fakeProbe(['/opt/tongbu'], { '/etc/rsync.pas': 0o100600 }),
      owner: () => 1000,
      uid: 0,
    },
    severity: 'error',
    kind: 'wrong-owner',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  // --- original fallbacks and cross-field rules
  {
    rule: 'crontab schedule <= 0 becomes 600 minutes',
    xml: doc({ sersync: '<crontab start="true" schedule="0"/>' }),
    severity: 'warning',
    kind: 'value-replaced',
    path: 'sersync/crontab@schedule',
    at: 'schedule=',
  },
  {
    rule: 'filter on + crontab on without crontabfilter excludes: crontab off',
    xml: doc({
      head: '<filter start="true"/>',
      sersync:
        '<crontab start="true" schedule="60"><crontabfilter start="false"><exclude expression="*.gz"/></crontabfilter></crontab>',
    }),
    severity: 'warning',
    kind: 'crontab-disabled',
    path: 'sersync/crontab@start',
    at: 'start="true" schedule',
  },
  {
    rule: 'ssh with auth: the password file is ignored',
    xml: doc({
      sersync: '<rsync><auth start="true" passwordfile="/nope"/><ssh start="true"/></rsync>',
    }),
    severity: 'warning',
    kind: 'ignored-setting',
    path: 'sersync/rsync/auth@passwordfile',
    at: 'passwordfile=',
  },
  {
    rule: 'ssh with userDefinedPort: --port is ignored',
    xml: doc({
      sersync: '<rsync><userDefinedPort start="true" port="2222"/><ssh start="true"/></rsync>',
    }),
    severity: 'warning',
    kind: 'ignored-setting',
    path: 'sersync/rsync/userDefinedPort@port',
    at: 'port="2222"',
  },
  {
    rule: 'the same watch root twice',
    xml: doc({
      sersync: '<localpath watch="/opt/tongbu/">\n<remote ip="127.0.0.2" name="m"/></localpath>',
    }),
    probe: ANYTHING_EXISTS,
    severity: 'error',
    kind: 'duplicate-root',
    path: 'sersync/localpath@watch',
    at: 'watch="/opt/tongbu/"',
  },
  {
    rule: 'a watch root inside an earlier one',
    xml: doc({
      sersync: '<localpath watch="/opt/tongbu/sub">\n<remote ip="127.0.0.2" name="m"/></localpath>',
    }),
    probe: ANYTHING_EXISTS,
    severity: 'error',
    kind: 'nested-root',
    path: 'sersync/localpath@watch',
    at: 'watch="/opt/tongbu/sub"',
  },
  {
    rule: 'an earlier watch root inside a later one',
    xml: doc({
      sersync: '<localpath watch="/opt">\n<remote ip="127.0.0.2" name="m"/></localpath>',
    }),
    probe: ANYTHING_EXISTS,
    severity: 'error',
    kind: 'nested-root',
    path: 'sersync/localpath@watch',
    at: 'watch="/opt"',
  },
  {
    rule: 'the same remote twice in one localpath',
    xml: doc({
      localpath:
        '<localpath watch="/opt/tongbu"><remote ip="h" name="m"/>\n<remote ip="h" name="m"/></localpath>',
    }),
    severity: 'warning',
    kind: 'duplicate-remote',
    path: 'sersync/localpath/remote',
    at: '<remote ip="h" name="m"/></',
  },
  {
    rule: 'a started socket plugin with its own watch: the original would have watched it instead',
    xml: doc({
      head: SOCKET('<deshost ip="127.0.0.1" port="9"/>').replace('/opt/tongbu', '/opt/other'),
      sersync: '<plugin start="true" name="socket"/>',
    }),
    severity: 'warning',
    kind: 'compat-difference',
    path: 'sersync/plugin@start',
    at: 'start="true" name="socket"',
  },
];

for (const r of RULES) {
  test(`rule: ${r.rule}`, () => {
    const result = parse(r.xml, r.probe ?? fakeProbe());
    // An error means the load fails as 'invalid' (CLI: exit 78); a warning leaves a usable config.
    const issues = r.severity === 'error' ? invalid(result) : loaded(result).warnings;
    expectIssue(issues, {
      severity: r.severity,
      kind: r.kind,
      path: r.path,
      ...posOf(r.xml, r.at),
    });
  });
}

test('rule: malformed XML names line and col, path head, kind xml-syntax', () => {
  const xml = '<head>\n  <sersync>\n    <localpath watch="/opt/tongbu">\n  </sersync>\n</head>';
  const issues = invalid(parse(xml));
  assert.equal(issues.length, 1);
  expectIssue(issues, { severity: 'error', kind: 'xml-syntax', path: 'head', line: 4 });
});

test('rule: a second root element is malformed XML', () => {
  const issues = invalid(parse(`${doc()}<head/>`));
  expectIssue(issues, { severity: 'error', kind: 'xml-syntax', path: 'head', line: 11, col: 1 });
});

test('rule: a refreshCDN password never appears in any message', () => {
  const xml = doc({
    head: '<plugin name="refreshCDN"><localpath watch="/w"><cdninfo domainname="" port="x" username="u" passwd="s3cr3t-pw" PASSWD="other-s3cr3t" junk="1"/><sendurl base=""/></localpath></plugin>',
  });
  const issues = invalid(parse(xml));
  assert.ok(issues.length >= 4, JSON.stringify(issues));
  for (const i of issues) assert.ok(!i.message.includes('s3cr3t'), i.message);
});

test('all problems are reported at once, in file order', () => {
  const xml = doc({
    head: '<host port="x"/>\n  <filter start="true"><exclude expression="("/></filter>',
    sersync: '<rsync><timeout time="-1"/></rsync>\n    <failLog path=""/>',
  });
  const issues = invalid(parse(xml, fakeProbe([])));
  assert.deepEqual(
    issues.map((i) => i.kind),
    ['bad-number', 'bad-regex', 'not-found', 'bad-number', 'missing-value'],
  );
  const lines = issues.map((i) => i.line);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
  );
});
