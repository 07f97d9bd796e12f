// A child started in a directory whose name is not UTF-8 runs in exactly that directory.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnCwd } from '../../../src/util/byte-cwd.js';
import { decodeName, encodeName } from '../../../src/util/byte-names.js';
import { tmpDir } from '../../helpers/tmp.js';

const tmp = tmpDir('sersync-bytecwd-');
after(tmp.cleanup);

test('spawnCwd: a Latin-1 directory name reaches the child byte for byte', () => {
  const dir = `${tmp.path}/fotos${decodeName(Buffer.of(0xe9))}`;
  mkdirSync(encodeName(dir));
  writeFileSync(encodeName(`${dir}/inside`), 'x');
  const c = spawnCwd(dir);
  try {
    const r = spawnSync('sh', ['-c', 'pwd -P; ls'], { cwd: c.cwd });
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout, Buffer.concat([encodeName(dir), Buffer.from('\ninside\n')]));
  } finally {
    c.close();
    c.close();
  }
});

test('spawnCwd: a UTF-8 directory is passed as it is', () => {
  const c = spawnCwd(`${tmp.path}/é`);
  assert.equal(c.cwd, `${tmp.path}/é`);
  c.close();
});

test('spawnCwd: a missing directory throws its errno', () => {
  assert.throws(() => spawnCwd(`${tmp.path}/gone${decodeName(Buffer.of(0xfc))}`), {
    code: 'ENOENT',
  });
});
