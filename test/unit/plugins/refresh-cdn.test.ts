// refreshCDN request building against the captures of sersync 2.5.4 (docs/plugins.md "refreshCDN").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cdnRequest,
  cdnTargets,
  cdnUrlPart,
  redact,
  whatsup,
  type CdnLocalPath,
} from '../../../src/plugins/refresh-cdn.js';
import { toPluginEvent } from '../../../src/plugins/plugin.js';

const lp = (watch: string, regex: boolean, match: string): CdnLocalPath => ({
  watch,
  cdninfo: { domainname: '127.0.0.1', port: 80, username: 'xxxx', passwd: 'yyyy' },
  sendurlBase: 'http://pic.xoyo.com/cms',
  regexurl: { regex, match },
});
const plain = lp('/opt/tongbu', false, 'ignored');

test('captured requests: file, directory (regex off); a space is %20 (the original sent it raw)', () => {
  const cases: [string, boolean, string][] = [
    [
      '/opt/tongbu/c1.txt',
      false,
      'HEAD /index.jsp?user=xxxx&pswd=yyyy&ok=ok&urls=http://pic.xoyo.com/cms/c1.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    ],
    [
      '/opt/tongbu/cdir',
      true,
      'HEAD /index.jsp?user=xxxx&pswd=yyyy&ok=ok&dirs=http://pic.xoyo.com/cms/cdir/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    ],
    [
      '/opt/tongbu/sp ace.png',
      false,
      'HEAD /index.jsp?user=xxxx&pswd=yyyy&ok=ok&urls=http://pic.xoyo.com/cms/sp%20ace.png HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    ],
  ];
  for (const [abs, isDir, want] of cases) {
    const part = cdnUrlPart(plain, abs, isDir);
    assert.ok(part !== undefined, abs);
    assert.equal(cdnRequest(plain, part), want);
  }
});

test('regex form oracle/src([/a-zA-Z0-9]*): group 1 + text after the match', () => {
  const re = lp('/opt/oracle/src', true, 'oracle/src([/a-zA-Z0-9]*)');
  assert.equal(
    cdnUrlPart(re, '/opt/oracle/src/cdir/r1.png', false),
    '&urls=http://pic.xoyo.com/cms/cdir/r1.png',
  );
  assert.equal(
    cdnUrlPart(re, '/opt/oracle/src/x-y.txt', false),
    '&urls=http://pic.xoyo.com/cms/x-y.txt',
  );
  assert.equal(cdnUrlPart(re, '/opt/oracle/src/cdir', true), '&dirs=http://pic.xoyo.com/cms/cdir/');
});

test('regex form from the reference: cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images', () => {
  const re = lp(
    '/data0/htdocs/cms.xoyo.com/site',
    true,
    'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images',
  );
  assert.equal(
    cdnUrlPart(re, '/data0/htdocs/cms.xoyo.com/site/jx3.xoyo.com/images/a.jpg', false),
    '&urls=http://pic.xoyo.com/cms/jx3/a.jpg',
  );
});

test('regex miss: nothing is sent; the target is reported without a URL', () => {
  const re = lp('/opt', true, 'oracle/src([/a-zA-Z0-9]*)');
  assert.equal(cdnUrlPart(re, '/opt/other/a.png', false), undefined);
  const ev = toPluginEvent({ root: '/opt', path: 'other/a.png', op: 'upsert', isDir: false });
  assert.deepEqual(
    cdnTargets({ localpaths: [re] }, ev).map((t) => t.urlPart),
    [undefined],
  );
});

test('only localpaths containing the path are targets; watchOverride rebases the relative URL', () => {
  const ev = toPluginEvent({ root: '/srv/www', path: 'a/b.css', op: 'remove', isDir: false });
  assert.deepEqual(cdnTargets({ localpaths: [plain] }, ev), []);
  const t = cdnTargets({ localpaths: [plain] }, ev, '/srv/www');
  assert.deepEqual(
    t.map((x) => x.urlPart),
    ['&urls=http://pic.xoyo.com/cms/a/b.css'],
  );
});

test('the name is percent-encoded byte for byte (UTF-8, raw Latin-1/GBK bytes, CR LF), so it cannot add request lines', () => {
  const table: [string, string][] = [
    ['/opt/tongbu/图片 1.png', '&urls=http://pic.xoyo.com/cms/%E5%9B%BE%E7%89%87%201.png'],
    // good\xfc.txt (Latin-1) and \xd6\xd0\xce\xc4 (GBK for 中文) as lone-surrogate BytePaths
    ['/opt/tongbu/good\udcfc.txt', '&urls=http://pic.xoyo.com/cms/good%FC.txt'],
    [
      '/opt/tongbu/d/\udcd6\udcd0\udcce\udcc4.jpg',
      '&urls=http://pic.xoyo.com/cms/d/%D6%D0%CE%C4.jpg',
    ],
    ['/opt/tongbu/a&b?c=%', '&urls=http://pic.xoyo.com/cms/a%26b%3Fc%3D%25'],
  ];
  for (const [abs, want] of table) assert.equal(cdnUrlPart(plain, abs, false), want, abs);
  const part = cdnUrlPart(plain, '/opt/tongbu/a\r\nX-Evil: 1', false) ?? '';
  assert.equal(part, '&urls=http://pic.xoyo.com/cms/a%0D%0AX-Evil%3A%201');
  assert.equal(cdnRequest(plain, part).split('\r\n').length, 4);
});

test('redact hides the password in the query and anywhere else; whatsup extracts the status line', () => {
  const req = cdnRequest(plain, '&urls=http://x/yyyy.png');
  assert.equal(
    redact(req.split('\r\n')[0] ?? '', 'yyyy'),
    'HEAD /index.jsp?user=xxxx&pswd=***&ok=ok&urls=http://x/***.png HTTP/1.0',
  );
  assert.equal(redact('a?pswd=s3cr3t&ok=ok', ''), 'a?pswd=***&ok=ok');
  assert.equal(whatsup('HTTP/1.0 200 OK\r\n\r\nwhatsup: succeed\r\nmore'), 'whatsup: succeed');
  assert.equal(whatsup('HTTP/1.0 200 OK\r\n\r\nwhatsup: succeed'), 'whatsup: succeed');
  assert.equal(whatsup('HTTP/1.0 200 OK\r\n\r\n'), undefined);
});
