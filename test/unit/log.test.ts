// createLogger line format, levels and secret redaction; collectSecrets. Pure (in-memory stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Config } from '../../src/config/types.js';
import { displayName } from '../../src/util/byte-names.js';
import { collectSecrets, createLogger, redact, type LogLevel } from '../../src/log.js';

function capture(
  level: LogLevel,
  secrets: string[] = [],
): { lines: () => string[]; log: ReturnType<typeof createLogger> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ level, secrets, stream });
  return { log, lines: () => text.split('\n').filter((l) => l !== '') };
}

test('lines are `YYYY-MM-DD HH:mm:ss [level] message`', () => {
  const { log, lines } = capture('info');
  log.info('watch path is: /opt/tongbu');
  log.warn('rsync exited with 23');
  log.error('boom');
  assert.equal(lines().length, 3);
  assert.match(
    lines()[0]!,
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[info\] watch path is: \/opt\/tongbu$/,
  );
  assert.match(lines()[1]!, /^\S+ \S+ \[warn\] rsync exited with 23$/);
  assert.match(lines()[2]!, /^\S+ \S+ \[error\] boom$/);
});

test('names are bytes: a raw byte in a line is written as \\xfc (never U+FFFD), displayName paths as they are', () => {
  const { log, lines } = capture('info', ['s3cr3t']);
  // /srv/fotos\xe9 interpolated as it is, and a displayName path with a backslash and a newline.
  log.info('rsync -> backup@127.0.0.1::data: /srv/fotos\udce9/good\udcfc.txt synced');
  log.warn(`plugin socket: could not deliver ${displayName('/w/a\\b\n\udcd6\udcd0')} (s3cr3t)`);
  assert.equal(lines().length, 2);
  assert.match(
    lines()[0]!,
    /\[info\] rsync -> backup@127\.0\.0\.1::data: \/srv\/fotos\\xe9\/good\\xfc\.txt synced$/,
  );
  assert.ok(
    lines()[1]!.endsWith('[warn] plugin socket: could not deliver /w/a\\\\b\\n\\xd6\\xd0 (***)'),
    lines()[1],
  );
  assert.ok(!lines().join('\n').includes('\ufffd'));
});

test('info level drops debug lines; debug level keeps them', () => {
  const quiet = capture('info');
  quiet.log.debug('hidden');
  quiet.log.info('shown');
  assert.deepEqual(
    quiet.lines().map((l) => l.replace(/^\S+ \S+ /, '')),
    ['[info] shown'],
  );
  assert.equal(quiet.log.level, 'info');
  const loud = capture('debug');
  loud.log.debug('detail');
  assert.deepEqual(
    loud.lines().map((l) => l.replace(/^\S+ \S+ /, '')),
    ['[debug] detail'],
  );
});

test('every secret is replaced by *** at every level, including debug', () => {
  const { log, lines } = capture('debug', ['s3cr3t', 'hunter2', '']);
  log.debug('cdn login user=x passwd=s3cr3t');
  log.info('password file says hunter2');
  log.error('s3cr3ts3cr3t');
  const out = lines().join('\n');
  assert.doesNotMatch(out, /s3cr3t|hunter2/);
  assert.match(out, /passwd=\*\*\*$/m);
  assert.match(out, /\[error\] \*\*\*\*\*\*$/m);
});

test('redact hides a longer secret whole even when it contains a shorter one', () => {
  assert.equal(redact('a pass passphrase b', ['pass', 'passphrase']), 'a *** *** b');
  assert.equal(redact('nothing here', []), 'nothing here');
  assert.equal(redact('  spaced  ', [' ', '']), '  spaced  '); // blank secrets are ignored
});

function configWith(over: {
  auth?: boolean;
  ssh?: boolean;
  passwd?: string;
  url?: string;
}): Config {
  const cfg = {
    sersync: {
      rsync: {
        auth: { enabled: over.auth ?? false, users: 'root', passwordFile: '/etc/rsync.pas' },
        ssh: { enabled: over.ssh ?? false },
      },
    },
    plugins: {
      ...(over.passwd === undefined
        ? {}
        : {
            refreshCDN: {
              localpaths: [
                {
                  watch: '/w',
                  cdninfo: { domainname: 'd', port: 80, username: 'u', passwd: over.passwd },
                  sendurlBase: '',
                  regexurl: { regex: false, match: '' },
                },
              ],
            },
          }),
      ...(over.url === undefined
        ? {}
        : { http: { localpaths: [{ watch: '/w', deshosts: [{ url: over.url }] }] } }),
    },
  };
  return cfg as unknown as Config;
}

test('collectSecrets: CDN passwd, password-file content (auth on), URL passwords', () => {
  const read = (p: string): string | undefined =>
    p === '/etc/rsync.pas' ? 'topsecret\n' : undefined;
  assert.deepEqual(collectSecrets(configWith({ passwd: 'cdnpw' }), read), ['cdnpw']);
  assert.deepEqual(collectSecrets(configWith({ auth: true }), read), ['topsecret']);
  assert.deepEqual(collectSecrets(configWith({ auth: false }), read), []);
  assert.deepEqual(
    collectSecrets(configWith({ auth: true, ssh: true }), read),
    [],
    'ssh mode ignores the password file',
  );
  assert.deepEqual(collectSecrets(configWith({ url: 'http://u:p%40ss@127.0.0.1:1/x' }), read), [
    'p%40ss',
    'p@ss',
  ]);
  assert.deepEqual(
    collectSecrets(configWith({ auth: true }), () => undefined),
    [],
    'unreadable file: nothing to add',
  );
});
