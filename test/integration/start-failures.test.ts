// A start-up failure the operator must tell apart, with its own exit code and one log line naming
// the cause (docs/exit-codes.md): a journal the pipeline cannot open (74). The config file itself is fine,
// so it is neither 66 ("config file missing") nor 78. (A missing root is no start-up failure: the
// service waits for it, test/integration/roots.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/exit-codes.js';
import { CLI, confXml } from '../helpers/service.js';
import { tmpDir } from '../helpers/tmp.js';

function run(cwd: string, conf: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, '-o', conf], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => {
      resolve({ code, output });
    });
  });
}

function writeConf(dir: string, watch: string): string {
  const file = join(dir, 'confxml.xml');
  writeFileSync(
    file,
    confXml({
      roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
      port: 1,
      failLog: join(dir, 'log', 'fail.sh'),
    }),
  );
  return file;
}

test('a journal that is not a journal: exit 74 (STATE_DIR), the file named', async () => {
  const tmp = tmpDir();
  const src = join(tmp.path, 'src');
  mkdirSync(src);
  mkdirSync(join(tmp.path, 'log', 'sersync-state'), { recursive: true, mode: 0o700 });
  writeFileSync(join(tmp.path, 'log', 'sersync-state', 'journal'), 'not a journal\n', {
    mode: 0o600,
  });
  const r = await run(tmp.path, writeConf(tmp.path, src));
  assert.equal(r.code, ExitCode.STATE_DIR, r.output);
  assert.equal(r.code, 74);
  assert.match(r.output, /state directory .*sersync-state.*journal/);
  tmp.cleanup();
});
