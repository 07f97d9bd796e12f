// The loader against real files: every fixture under test/fixtures/conf (valid ones load with the
// expected values; invalid ones report exactly the issues listed in their .expect.json), and
// loadConfig on a real tree (missing/unreadable file, watch dir and password-file checks, cwd).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig, type Loaded } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { FsProbe } from '../../src/config/validate.js';
import { formatIssue } from '../../src/config/issues.js';
import { encodeName } from '../../src/util/byte-names.js';
import { tmpDir } from '../helpers/tmp.js';

// dist*/test/integration/x.js -> repository root -> test/fixtures/conf
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/conf/', import.meta.url));
const EVERYTHING: FsProbe = { isDirectory: () => true, mode: () => 0o100600 };

function loadFixture(rel: string): ReturnType<typeof parseConfig> {
  return parseConfig(readFileSync(join(FIXTURES, rel)), `fixtures/${rel}`, EVERYTHING, '/srv');
}

function ok(rel: string): Loaded {
  const r = loadFixture(rel);
  if (!r.ok)
    assert.fail(
      `${rel}: ${r.error.kind === 'invalid' ? r.error.issues.map(formatIssue).join('\n') : r.error.message}`,
    );
  return r.value;
}

const VALID: Readonly<Record<string, (c: Config, warnings: Loaded['warnings']) => void>> = {
  'original-template.xml': (c, w) => {
    assert.deepEqual(w, []);
    assert.deepEqual(c.sersync.localpaths, [
      { watch: '/opt/tongbu', remotes: [{ ip: '127.0.0.1', name: 'tongbu1' }] },
    ]);
    assert.equal(c.filter.excludes.length, 4);
    assert.deepEqual(Object.keys(c.plugins).sort(), ['command', 'refreshCDN', 'socket']);
  },
  'three-remotes.xml': (c) => {
    assert.deepEqual(
      c.sersync.localpaths[0]?.remotes.map((r) => `${r.ip}::${r.name}`),
      ['127.0.0.1::mirror-a', '127.0.0.2::mirror-b', '127.0.0.3::mirror-c'],
    );
    assert.deepEqual(c.sersync.rsync.userDefinedPort, { enabled: true, port: 8730 });
    assert.deepEqual(c.sersync.rsync.commonParams, ['-artz', '--delete-delay']);
    assert.equal(c.sersync.failLog.retryIntervalMs, 5 * 60_000);
  },
  'ssh-mode.xml': (c) => {
    assert.equal(c.sersync.rsync.ssh.enabled, true);
    assert.deepEqual(c.sersync.localpaths[0], {
      watch: '/srv/data',
      remotes: [{ ip: '127.0.0.1', name: '/backup/data' }],
    });
    assert.deepEqual(c.sersync.rsync.commonParams, [
      '-artuz',
      '-e',
      'ssh -p 2222 -o "BatchMode yes"',
    ]);
  },
  'auth-secrets.xml': (c) => {
    assert.deepEqual(c.sersync.rsync.auth, {
      enabled: true,
      users: 'sersyncuser',
      passwordFile: '/etc/rsync.pas',
    });
    assert.deepEqual(c.sersync.rsync.userDefinedPort, { enabled: true, port: 18731 });
  },
  'upper-case.xml': (c, w) => {
    assert.deepEqual(w, []);
    assert.equal(c.filter.enabled, true);
    assert.equal(c.inotify.delete, false);
    assert.equal(c.inotify.createFile, true);
    assert.equal(c.inotify.modify, true);
    assert.deepEqual(c.sersync.rsync.timeout, { enabled: true, seconds: 42 });
    assert.deepEqual(c.sersync.crontab, {
      enabled: true,
      intervalMs: 15 * 60_000,
      excludes: ['*.svn'],
      filterEnabled: true,
    });
  },
  'crlf-bom.xml': (c) => {
    assert.deepEqual(c.sersync.rsync.timeout, { enabled: true, seconds: 15 });
  },
  'chinese-comments.xml': (c) => {
    assert.equal(c.sersync.localpaths[0]?.watch, '/opt/同步/données');
  },
  // Names are bytes: the watch root is exactly the bytes of the file, whatever encoding= says.
  'latin1.xml': (c) => {
    assert.equal(c.sersync.localpaths[0]?.watch, '/opt/donn\udce9es'); // 0xe9: the Latin-1 byte
  },
  'gbk.xml': (c) => {
    // encoding="GBK": 中文 is d6 d0 ce c4 on disk and in the config, 失败 ca a7 b0 dc.
    assert.equal(c.sersync.localpaths[0]?.watch, '/opt/\udcd6\udcd0\udcce\udcc4');
    // ca a7 happens to be valid UTF-8 (U+02A7) and stays that text: the bytes are the same.
    assert.deepEqual(
      encodeName(c.sersync.failLog.path),
      Buffer.from('/tmp/\xca\xa7\xb0\xdc.sh', 'latin1'),
    );
  },
  'minimal.xml': (c, w) => {
    assert.deepEqual(w, []);
    assert.equal(c.sersync.failLog.path, '/tmp/rsync_fail_log.sh');
  },
  'unknown-extras.xml': (c, w) => {
    assert.ok(w.every((i) => i.severity === 'warning'));
    assert.deepEqual(
      w.map((i) => i.kind),
      [
        'unknown-attribute',
        'unknown-element',
        'unknown-attribute',
        'unknown-attribute',
        'unknown-element',
        'unknown-element',
      ],
    );
    assert.match(
      w.find((i) => i.path === 'sersync/rsync/comonParams')?.message ?? '',
      /did you mean "commonParams"/,
    );
    assert.deepEqual(c.sersync.rsync.commonParams, ['-artuz']);
  },
  'two-localpaths.xml': (c) => {
    assert.deepEqual(
      c.sersync.localpaths.map((l) => [l.watch, l.remotes[0]?.name]),
      [
        ['/data/image', 'image'],
        ['/data/pic', 'pic'],
      ],
    );
  },
};

describe('valid fixtures', () => {
  test('every valid fixture has a check', () => {
    assert.deepEqual(readdirSync(join(FIXTURES, 'valid')).sort(), Object.keys(VALID).sort());
  });
  for (const [name, check] of Object.entries(VALID)) {
    test(name, () => {
      const { config, warnings } = ok(`valid/${name}`);
      check(config, warnings);
    });
  }
  test('conf/confxml.xml (the shipped, annotated template) loads without warnings', () => {
    const root = fileURLToPath(new URL('../../../conf/confxml.xml', import.meta.url));
    const r = parseConfig(readFileSync(root), 'conf/confxml.xml', EVERYTHING, '/srv');
    assert.ok(r.ok && r.value.warnings.length === 0, JSON.stringify(r));
  });
  test('conf/examples/*.xml load without errors', () => {
    const dir = fileURLToPath(new URL('../../../conf/examples/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    assert.ok(files.length >= 3);
    for (const f of files) {
      const r = parseConfig(readFileSync(join(dir, f)), f, EVERYTHING, '/srv');
      assert.ok(r.ok, `${f}: ${JSON.stringify(r)}`);
      assert.deepEqual(r.value.warnings.map(formatIssue), [], f);
    }
  });
});

describe('invalid fixtures report exactly their .expect.json', () => {
  const dir = join(FIXTURES, 'invalid');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.xml'))) {
    test(name, () => {
      const r = loadFixture(`invalid/${name}`);
      if (r.ok) assert.fail(`${name} loaded`);
      if (r.error.kind !== 'invalid') assert.fail(`kind ${r.error.kind}`);
      const got = r.error.issues.map(({ severity, kind, path, line, col }) => ({
        severity,
        kind,
        path,
        line,
        col,
      }));
      const want: unknown = JSON.parse(
        readFileSync(join(dir, name.replace(/\.xml$/, '.expect.json')), 'utf8'),
      );
      assert.deepEqual(got, want);
      for (const i of r.error.issues)
        assert.ok(formatIssue(i).startsWith(`fixtures/invalid/${name}:${i.line}:${i.col}: `));
    });
  }
});

describe('loadConfig on a real file system', () => {
  let dir: { path: string; cleanup: () => void };
  before(() => {
    dir = tmpDir('sersync-config-');
    mkdirSync(join(dir.path, 'src'));
    writeFileSync(join(dir.path, 'rsync.pas'), 'secret\n', { mode: 0o600 });
    chmodSync(join(dir.path, 'rsync.pas'), 0o600);
  });
  after(() => {
    dir.cleanup();
  });

  const conf = (watch: string, auth = ''): string =>
    `<head><sersync><localpath watch="${watch}"><remote ip="127.0.0.1" name="m"/></localpath><rsync>${auth}</rsync><failLog path="state/fail.sh"/></sersync></head>`;

  test('relative paths resolve against opts.cwd; the file name is kept as given', async () => {
    writeFileSync(
      join(dir.path, 'ok.xml'),
      conf('src/', '<auth start="true" users="u" passwordfile="rsync.pas"/>'),
    );
    const r = await loadConfig('ok.xml', { cwd: dir.path });
    if (!r.ok) assert.fail(JSON.stringify(r.error));
    assert.equal(r.value.config.file, join(dir.path, 'ok.xml'));
    assert.equal(r.value.config.sersync.localpaths[0]?.watch, join(dir.path, 'src'));
    assert.equal(r.value.config.sersync.rsync.auth.passwordFile, join(dir.path, 'rsync.pas'));
    assert.equal(r.value.config.sersync.failLog.path, join(dir.path, 'state/fail.sh'));
  });

  test('names are bytes: a watch root with Latin-1 / GBK bytes, in a file saved in that encoding, is that directory', async () => {
    const latin1 = Buffer.from(`${dir.path}/fotos\xe9`, 'latin1');
    const gbk = Buffer.concat([Buffer.from(`${dir.path}/`), Buffer.from([0xd6, 0xd0, 0xce, 0xc4])]);
    for (const [decl, root] of [
      ['ISO-8859-1', latin1],
      ['GBK', gbk],
    ] as const) {
      mkdirSync(root, { recursive: true });
      const xml = Buffer.concat([
        Buffer.from(`<?xml version="1.0" encoding="${decl}"?>\n<head><sersync><localpath watch="`),
        root,
        Buffer.from(
          '"><remote ip="127.0.0.1" name="m"/></localpath><failLog path="state/fail.sh"/></sersync></head>',
        ),
      ]);
      writeFileSync(join(dir.path, 'bytes.xml'), xml);
      const r = await loadConfig('bytes.xml', { cwd: dir.path });
      if (!r.ok) assert.fail(JSON.stringify(r.error));
      assert.deepEqual(
        r.value.warnings,
        [],
        `${decl}: the directory is found (no not-found warning)`,
      );
      assert.deepEqual(encodeName(r.value.config.sersync.localpaths[0]?.watch ?? ''), root);
    }
  });

  test('a password file whose path has raw bytes is its very file (checked, not refused)', async () => {
    const pas = Buffer.from(`${dir.path}/r\xe9.pas`, 'latin1');
    writeFileSync(pas, 'secret\n', { mode: 0o644 });
    const xml = Buffer.concat([
      Buffer.from(
        conf('src', '<auth start="true" users="u" passwordfile="').replace(/<\/rsync>.*/, ''),
      ),
      pas,
      Buffer.from('"/></rsync><failLog path="state/fail.sh"/></sersync></head>'),
    ]);
    writeFileSync(join(dir.path, 'rawpas.xml'), xml);
    const r = await loadConfig('rawpas.xml', { cwd: dir.path });
    if (r.ok || r.error.kind !== 'invalid') assert.fail(JSON.stringify(r));
    // found by its bytes: the mode check (not not-found) is what speaks
    assert.deepEqual(
      r.error.issues.map((i) => [i.kind, i.path]),
      [['insecure-mode', 'sersync/rsync/auth@passwordfile']],
    );
    assert.ok(formatIssue(r.error.issues[0]!).includes(`${dir.path}/r\\xe9.pas`));
  });

  test('a missing config file is kind not-found (exit 66)', async () => {
    const r = await loadConfig('nope.xml', { cwd: dir.path });
    assert.equal(!r.ok && r.error.kind, 'not-found');
  });

  test('a directory as config file is kind unreadable (exit 66)', async () => {
    const r = await loadConfig('src', { cwd: dir.path });
    assert.equal(!r.ok && r.error.kind, 'unreadable');
  });

  test('a missing watch directory is a warning naming file:line:col (the service waits for it)', async () => {
    writeFileSync(join(dir.path, 'nowatch.xml'), `\n\n${conf('missing-dir')}`);
    const r = await loadConfig(join(dir.path, 'nowatch.xml'));
    if (!r.ok) assert.fail(JSON.stringify(r));
    assert.deepEqual(
      r.value.warnings.map((i) => [i.severity, i.kind, i.path, i.line, i.col]),
      [['warning', 'not-found', 'sersync/localpath@watch', 3, 27]],
    );
  });

  test('a watch path that is a file is an invalid config', async () => {
    writeFileSync(join(dir.path, 'file-watch.xml'), conf('rsync.pas'));
    const r = await loadConfig('file-watch.xml', { cwd: dir.path });
    assert.deepEqual(!r.ok && r.error.kind === 'invalid' && r.error.issues.map((i) => i.kind), [
      'wrong-file-type',
    ]);
  });

  test('a password file readable by others is refused, as rsync would', async () => {
    writeFileSync(join(dir.path, 'open.pas'), 'secret\n');
    chmodSync(join(dir.path, 'open.pas'), 0o644);
    writeFileSync(
      join(dir.path, 'auth.xml'),
      conf('src', '<auth start="true" users="u" passwordfile="open.pas"/>'),
    );
    const r = await loadConfig('auth.xml', { cwd: dir.path });
    if (r.ok || r.error.kind !== 'invalid') assert.fail(JSON.stringify(r));
    assert.deepEqual(
      r.error.issues.map((i) => [i.kind, i.path]),
      [['insecure-mode', 'sersync/rsync/auth@passwordfile']],
    );
    assert.match(r.error.issues[0]?.message ?? '', /mode 644/);
    assert.ok(!r.error.issues.some((i) => i.message.includes('secret')));
  });

  test('a missing password file is refused when auth is on', async () => {
    writeFileSync(
      join(dir.path, 'nopass.xml'),
      conf('src', '<auth start="true" users="u" passwordfile="gone.pas"/>'),
    );
    const r = await loadConfig('nopass.xml', { cwd: dir.path });
    assert.deepEqual(!r.ok && r.error.kind === 'invalid' && r.error.issues.map((i) => i.kind), [
      'not-found',
    ]);
  });
});
