// Shared helpers for the config unit tests: a fake FsProbe, a document builder, and position lookup.
import assert from 'node:assert/strict';
import { parseConfig, type Loaded, type LoadFailure } from '../../../src/config/load.js';
import type { FsProbe } from '../../../src/config/validate.js';
import type { ConfigIssue } from '../../../src/config/issues.js';
import type { Result } from '../../../src/util/result.js';

export const FILE = 'conf/test.xml';
export const CWD = '/work';

/** A probe over an in-memory file system: `dirs` exist as directories, `files` map path -> st_mode. */
export function fakeProbe(
  dirs: readonly string[] = ['/opt/tongbu'],
  files: Readonly<Record<string, number>> = {},
): FsProbe {
  return {
    isDirectory: (p) => dirs.includes(p),
    mode: (p) => (dirs.includes(p) ? 0o040755 : files[p]),
  };
}

/** Every directory and file exists; files are 0600. */
export const ANYTHING_EXISTS: FsProbe = { isDirectory: () => true, mode: () => 0o100600 };

/** `<head>` with `head` children, and a `<sersync>` holding a valid localpath unless `sersync` replaces it. */
export function doc(opts: { head?: string; sersync?: string; localpath?: string } = {}): string {
  const localpath =
    opts.localpath ??
    '<localpath watch="/opt/tongbu">\n      <remote ip="127.0.0.1" name="tongbu1"/>\n    </localpath>';
  const sersync = opts.sersync ?? '';
  return `<?xml version="1.0" encoding="ISO-8859-1"?>\n<head version="2.5">\n  ${opts.head ?? ''}\n  <sersync>\n    ${localpath}\n    ${sersync}\n  </sersync>\n</head>\n`;
}

export function parse(
  xml: string | Uint8Array,
  probe: FsProbe = fakeProbe(),
): Result<Loaded, LoadFailure> {
  return parseConfig(xml, FILE, probe, CWD);
}

/** 1-based line:col of the first occurrence of `needle`. */
export function posOf(xml: string, needle: string): { line: number; col: number } {
  const i = xml.indexOf(needle);
  assert.notEqual(i, -1, `fixture does not contain ${needle}`);
  const before = xml.slice(0, i);
  const line = before.split('\n').length;
  return { line, col: i - before.lastIndexOf('\n') };
}

export function loaded(r: Result<Loaded, LoadFailure>): Loaded {
  if (!r.ok) assert.fail(`expected a valid config, got ${JSON.stringify(r.error, null, 1)}`);
  return r.value;
}

/** The issues of a failed load (asserting kind 'invalid'). */
export function invalid(r: Result<Loaded, LoadFailure>): readonly ConfigIssue[] {
  if (r.ok)
    assert.fail(`expected an invalid config, got warnings ${JSON.stringify(r.value.warnings)}`);
  if (r.error.kind !== 'invalid') assert.fail(`expected kind invalid, got ${r.error.kind}`);
  return r.error.issues;
}

/** Asserts exactly one issue with this path/kind/severity exists and sits at `at` (line and, if given, col). */
export function expectIssue(
  issues: readonly ConfigIssue[],
  want: {
    severity: 'error' | 'warning';
    kind: ConfigIssue['kind'];
    path: string;
    line: number;
    col?: number;
  },
): ConfigIssue {
  const found = issues.filter(
    (i) => i.kind === want.kind && i.path === want.path && i.severity === want.severity,
  );
  assert.equal(
    found.length,
    1,
    `want one ${want.severity} ${want.kind} at ${want.path}; issues: ${JSON.stringify(issues, null, 1)}`,
  );
  const issue = found[0]!;
  assert.equal(issue.line, want.line, `line of ${want.path}`);
  if (want.col !== undefined) assert.equal(issue.col, want.col, `col of ${want.path}`);
  assert.equal(issue.file, FILE);
  return issue;
}

/** The sersync 2.5.4 template (as in test/fixtures/conf/valid/original-template.xml), for fuzzing. */
export const TEMPLATE = `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
    <host hostip="localhost" port="8008"></host>
    <debug start="false"/>
    <fileSystem xfs="false"/>
    <filter start="false">
\t<exclude expression="(.*)\\.svn"></exclude>
\t<exclude expression="(.*)\\.gz"></exclude>
\t<exclude expression="^info/*"></exclude>
\t<exclude expression="^static/*"></exclude>
    </filter>
    <inotify>
\t<delete start="true"/>
\t<createFolder start="true"/>
\t<createFile start="false"/>
\t<closeWrite start="true"/>
\t<moveFrom start="true"/>
\t<moveTo start="true"/>
\t<attrib start="false"/>
\t<modify start="false"/>
    </inotify>
    <sersync>
\t<localpath watch="/opt/tongbu">
\t    <remote ip="127.0.0.1" name="tongbu1"/>
\t    <!--<remote ip="192.168.8.39" name="tongbu"/>-->
\t</localpath>
\t<rsync>
\t    <commonParams params="-artuz"/>
\t    <auth start="false" users="root" passwordfile="/etc/rsync.pas"/>
\t    <userDefinedPort start="false" port="874"/><!-- port=874 -->
\t    <timeout start="false" time="100"/><!-- timeout=100 -->
\t    <ssh start="false"/>
\t</rsync>
\t<failLog path="/tmp/rsync_fail_log.sh" timeToExecute="60"/><!--default every 60mins execute once-->
\t<crontab start="false" schedule="600"><!--600mins-->
\t    <crontabfilter start="false">
\t\t<exclude expression="*.php"></exclude>
\t\t<exclude expression="info/*"></exclude>
\t    </crontabfilter>
\t</crontab>
\t<plugin start="false" name="command"/>
    </sersync>
    <plugin name="command">
\t<param prefix="/bin/sh" suffix="" ignoreError="true"/>\t<!--prefix /opt/tongbu/mmm.sh suffix-->
\t<filter start="false">
\t    <include expression="(.*)\\.php"/>
\t    <include expression="(.*)\\.sh"/>
\t</filter>
    </plugin>
    <plugin name="socket">
\t<localpath watch="/opt/tongbu">
\t    <deshost ip="192.168.138.20" port="8009"/>
\t</localpath>
    </plugin>
    <plugin name="refreshCDN">
\t<localpath watch="/data0/htdocs/cms.xoyo.com/site/">
\t    <cdninfo domainname="ccms.chinacache.com" port="80" username="xxxx" passwd="xxxx"/>
\t    <sendurl base="http://pic.xoyo.com/cms"/>
\t    <regexurl regex="false" match="cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images"/>
\t</localpath>
    </plugin>
</head>
`;
