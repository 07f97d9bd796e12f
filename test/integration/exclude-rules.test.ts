// `<filter><exclude expression>` rules written for sersync 2.5.4, against a real rsync daemon:
// what they excluded there stays out of the target, in the -r full sync, in realtime, and inside
// a new directory's recursive sync (which the original leaked). Rules use its subject forms
// (`/keep/.*` needs the leading slash of a path below the root) and Boost syntax (`(?i)`, POSIX
// classes), translated at load.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startRsyncd } from '../helpers/rsyncd.js';
import { confXml, startService, type Service } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';
import { diffTrees, readTree } from '../helpers/tree.js';

const RULES = ['/keep/.*', '(.*)/cache/(.*)', '(?i).*\\.LOG', 'tmp[[:digit:]]+'];

/** Which test paths these rules exclude (by sersync 2.5.4's subject forms). */
const EXCLUDED = (p: string): boolean =>
  /^keep\/./.test(p) ||
  /^(.*\/)?[^/]+\/cache\//.test(`x/${p}/`) ||
  /\.log$/i.test(p) ||
  /^tmp\d+(\/|$)/.test(p);

interface Run {
  readonly src: string;
  readonly dst: string;
  readonly service: Service;
}

async function start(t: TestContext, prepare: (src: string) => void, args: string[]): Promise<Run> {
  const tmp = tmpDir('sersync-excl-');
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  prepare(src);
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  const xml = confXml({
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: rsyncd.port,
    failLog: join(tmp.path, 'fail.sh'),
    excludes: RULES,
    commonParams: '-artz',
  });
  const service = await startService(tmp.path, xml, args);
  t.after(async () => {
    const code = await service.stop();
    await rsyncd.stop();
    tmp.cleanup();
    assert.equal(code, 0, service.output());
  });
  return { src, dst, service };
}

function write(root: string, rel: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), rel);
}

/** Target == source minus the excluded paths, and none of the excluded paths at the target. */
function convergedWithout(src: string, dst: string): () => boolean {
  return () => {
    const d = diffTrees(src, dst, { ignore: EXCLUDED });
    if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
    const leaked = [...readTree(dst).keys()].filter(EXCLUDED);
    if (leaked.length > 0) throw new Error(`excluded at the target: ${leaked.join(', ')}`);
    return true;
  };
}

const TREE = [
  'keep/x.txt', // /keep/.*
  'keep/sub/y.txt',
  'other/keep/x.txt', // not: /keep/ must be at the root
  'a/cache/c1', // (.*)/cache/(.*)
  'a/b/cache/deep/c2',
  'a/cachex/ok', // not
  'app.LOG', // (?i).*\.LOG
  'd/err.log',
  'd/err.logs', // not
  'tmp123', // tmp[[:digit:]]+ (root only)
  'tmpx', // not
  'd/tmp123', // not: below the root the subject is /d/tmp123
  'plain.txt',
];

test('the sersync rules exclude in the -r full sync and in realtime', async (t) => {
  const { src, dst } = await start(
    t,
    (s) => {
      for (const p of TREE) write(s, p);
    },
    ['-r'],
  );
  await eventually(convergedWithout(src, dst), { what: 'the -r full sync' });
  assert.ok(existsSync(join(dst, 'keep')), 'keep/ itself is not excluded');
  assert.ok(existsSync(join(dst, 'a', 'cachex', 'ok')));
  assert.ok(existsSync(join(dst, 'd', 'tmp123')));

  // realtime: files into existing directories, in the root, and a new excluded directory
  for (const p of ['keep/new.txt', 'a/cache/c3', 'e/NEW.Log', 'tmp9', 'tmp77/inside', 'later.txt'])
    write(src, p);
  await eventually(convergedWithout(src, dst), { what: 'realtime changes' });
  assert.ok(existsSync(join(dst, 'later.txt')));
});

test('a new directory synced recursively leaves out what the rules exclude inside it', async (t) => {
  const { src, dst } = await start(t, () => undefined, []);
  // Built aside, then moved in: one event, one recursive sync of the whole directory.
  const aside = join(src, '..', 'aside');
  for (const p of ['new/cache/c', 'new/sub/cache/d', 'new/x.log', 'new/keep/k', 'new/ok.txt'])
    write(aside, p);
  const { renameSync } = await import('node:fs');
  renameSync(join(aside, 'new'), join(src, 'new'));
  await eventually(() => existsSync(join(dst, 'new', 'ok.txt')), { what: 'the new directory' });
  await eventually(convergedWithout(src, dst), {
    what: 'the new directory without excluded files',
  });
  assert.ok(existsSync(join(dst, 'new', 'keep', 'k')), 'new/keep/k: /keep/ is only at the root');
});
