// The command plugin through a real /bin/sh, run as a user runs it (`-m command`): the
// administrator's prefix/suffix keep their shell meaning (`>> LOG`), the command runs in the watch
// root, hostile file names reach it verbatim and run nothing, and `<param timeout>` bounds a run.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/rsyncd.js';
import { startService, type Service } from '../helpers/service.js';
import { pluginConfXml, writeRecordingRsync } from '../helpers/plugin-conf.js';
import { tmpDir } from '../helpers/tmp.js';

interface Run {
  readonly dir: string;
  readonly root: string;
  readonly service: Service;
}

async function startCommand(
  t: TestContext,
  param: { prefix: string; suffix: string; ignoreError?: boolean; timeout?: number },
): Promise<Run> {
  const tmp = tmpDir('sersync-cmdsh-');
  const root = join(tmp.path, 'root');
  mkdirSync(root);
  const rsync = writeRecordingRsync(tmp.path);
  let xml = pluginConfXml({
    roots: [{ watch: root, remotes: [{ ip: '127.0.0.1', name: 'nowhere' }] }],
    port: await freePort(),
    failLog: join(tmp.path, 'fail.sh'),
    plugins: {
      command: {
        prefix: param.prefix,
        suffix: param.suffix,
        ignoreError: param.ignoreError ?? false,
      },
    },
  });
  if (param.timeout !== undefined)
    xml = xml.replace(
      /ignoreError="(true|false)"\/>/,
      `ignoreError="$1" timeout="${param.timeout}"/>`,
    );
  const service = await startService(tmp.path, xml, ['-m', 'command'], {
    SERSYNC_RSYNC: rsync.path,
  });
  t.after(async () => {
    const code = await service.stop();
    tmp.cleanup();
    assert.equal(code, 0, `service exit code (output:\n${service.output()})`);
  });
  return { dir: tmp.path, root, service };
}

/** No file named PWNED* anywhere under `dir` (a name that ran as shell would have made one). */
function assertNothingRan(dir: string): void {
  const found = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) =>
    p.split('/').some((s) => s.startsWith('PWNED')),
  );
  assert.deepEqual(found, [], 'a file name was run as shell');
}

const HOSTILE = [
  'x$(touch PWNED1)y.php',
  "q'uote.php",
  'b`touch PWNED2`t.php',
  'd"q.php',
  'semi; touch PWNED3.php',
  'nl\nname.php',
  '-dash.php',
  'sp ace $HOME.php',
];

test('suffix=">> LOG" appends to the log through the shell; the command runs in the watch root; hostile names verbatim', async (t) => {
  const tmp = tmpDir('sersync-cmdsh-log-');
  t.after(tmp.cleanup);
  const log = join(tmp.path, 'changed.log');
  // printf with NUL separators so names with newlines stay one record.
  const { dir, root } = await startCommand(t, {
    prefix: `printf '%s|%s\\0' "$PWD"`,
    suffix: `>> '${log}'`,
  });
  for (const name of HOSTILE) writeFileSync(join(root, name), 'x');
  const want = HOSTILE.map((n) => `${root}|${join(root, n)}`).sort();
  const records = (): string[] =>
    existsSync(log) ? readFileSync(log, 'utf8').split('\0').slice(0, -1) : [];
  await eventually(
    () => {
      const got = [...new Set(records())].sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(JSON.stringify(got));
      return true;
    },
    { what: 'every name in the log', timeoutMs: 15_000 },
  );
  rmSync(join(root, HOSTILE[0] ?? ''));
  await eventually(() => records().length > HOSTILE.length, { what: 'the delete in the log' });
  assert.equal(records().at(-1), `${root}|${join(root, HOSTILE[0] ?? '')}`);
  assertNothingRan(dir);
  assertNothingRan(tmp.path);
});

test('a pipe in the suffix works; ignoreError="true" appends >/dev/null 2>&1 (the original meaning)', async (t) => {
  const tmp = tmpDir('sersync-cmdsh-pipe-');
  t.after(tmp.cleanup);
  const piped = join(tmp.path, 'piped.log');
  const quiet = join(tmp.path, 'quiet.log');
  const { root, service } = await startCommand(t, {
    prefix: 'echo',
    suffix: `| tr a-z A-Z >> '${piped}'; echo "stderr of $1" >&2; echo done >> '${quiet}'; exit 3`,
    ignoreError: true,
  });
  writeFileSync(join(root, 'abc.txt'), 'x');
  await eventually(() => existsSync(quiet), { what: 'the command to finish' });
  assert.equal(readFileSync(piped, 'utf8'), `${join(root, 'abc.txt').toUpperCase()}\n`);
  // exit 3 with ignoreError: not an error line, and the script's stderr went to /dev/null.
  assert.doesNotMatch(service.output(), /stderr of/);
  assert.doesNotMatch(service.output(), /error.*plugin command/);
});

test('<param timeout="1">: a command still running after 1 s is killed and logged; the next one runs', async (t) => {
  const tmp = tmpDir('sersync-cmdsh-to-');
  t.after(tmp.cleanup);
  const log = join(tmp.path, 'ran.log');
  const { root, service } = await startCommand(t, {
    prefix: `case "$1" in *slow*) exec sleep 60;; esac; echo`,
    suffix: `>> '${log}'`,
    timeout: 1,
  });
  writeFileSync(join(root, 'slow.txt'), 'x');
  await eventually(
    () => /call timed out after 1000 ms for upsert .*slow\.txt/.test(service.output()),
    {
      what: 'the timeout line',
    },
  );
  writeFileSync(join(root, 'fast.txt'), 'x');
  await eventually(() => existsSync(log) && readFileSync(log, 'utf8').includes('fast.txt'), {
    what: 'the next command',
  });
});
