// The package as a user installs it: `npm pack` holds what a global install needs (and nothing of
// the checkout's sources or tests); installed into a temporary prefix with CC and CXX set to
// /bin/false, `sersync` runs on the prebuilt native addon without compiling anything; without a
// prebuilt either, the install script still exits 0 and the service runs on @parcel/watcher.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { confXml } from '../helpers/service.js';
import { freePort } from '../helpers/rsyncd.js';
import { tmpDir } from '../helpers/tmp.js';

// dist/test/integration -> the checkout root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const NO_COMPILER = { CC: '/bin/false', CXX: '/bin/false', LINK: '/bin/false' };

interface PackResult {
  filename: string;
  files: { path: string }[];
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.error, undefined, `${cmd}: ${String(r.error)}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Starts an installed `sersync` and returns /status's backend and the output so far. */
async function backendOf(bin: string, dir: string): Promise<{ backend: unknown; output: string }> {
  const port = await freePort();
  const watch = join(dir, 'watch');
  mkdirSync(watch, { recursive: true });
  const conf = join(dir, 'confxml.xml');
  writeFileSync(
    conf,
    confXml({
      roots: [{ watch, remotes: [{ ip: '127.0.0.1', name: 'none' }] }],
      port: await freePort(),
      failLog: join(dir, 'fail.sh'),
      statusPort: port,
    }),
  );
  const proc = spawn(bin, ['-o', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    const status = await eventually(
      async () => {
        if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}: ${output}`);
        const res = await fetch(`http://127.0.0.1:${port}/status`);
        const body = (await res.json()) as { backend?: unknown };
        return body.backend === null ? undefined : body;
      },
      { timeoutMs: 15_000, what: 'the installed service to report its backend on /status' },
    );
    return { backend: status.backend, output };
  } finally {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  }
}

test('the packed tarball installs without a compiler and runs the native inotify backend', async (t) => {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(arch())) {
    t.skip(`prebuilds cover linux-x64 and linux-arm64, not ${process.platform}-${arch()}`);
    return;
  }
  const tmp = tmpDir('sersync-pack-');
  t.after(tmp.cleanup);

  const fresh = run(process.execPath, [join(ROOT, 'scripts', 'prebuild.js'), '--check']);
  assert.equal(fresh.status, 0, fresh.out);

  // `npm test` has just built dist/: pack it as is (prepack would rebuild it from scratch).
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.path]);
  assert.equal(pack.status, 0, pack.out);
  const [packed] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as PackResult[];
  assert.ok(packed);
  const files = packed.files.map((f) => f.path).sort();
  for (const want of [
    'LICENSE',
    'README.md',
    'package.json',
    'binding.gyp',
    'native/inotify.cc',
    'native/sd-notify.cc',
    'prebuilds/SOURCES.sha256',
    'prebuilds/linux-x64/sersync-ts.glibc.node',
    'prebuilds/linux-arm64/sersync-ts.glibc.node',
    'scripts/install-native.js',
    'dist/src/cli.js',
    'dist/src/systemd/unit.js',
    'dist/workers/rsync-worker.js',
    'man/sersync.1',
    'conf/confxml.xml',
    'conf/sersync.service',
    'conf/sersync.logrotate',
    'docs/install.md',
  ])
    assert.ok(files.includes(want), `${want} is in the tarball`);
  const stray = files.filter((f) =>
    /^(src|test|scripts\/(?!install-native\.js$)|build|dist\/test|dist\/scripts|\.demo|node_modules)\/?/.test(
      f,
    ),
  );
  assert.deepEqual(stray, [], 'no checkout sources, tests, build output or demo files');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.match(pkg.scripts['prepack'] ?? '', /npm run build/, 'prepack builds dist/');

  // --allow-scripts: npm 11 skips unapproved install scripts; ours must run and must not compile.
  const prefix = join(tmp.path, 'prefix');
  const tgz = join(tmp.path, packed.filename);
  const install = run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--allow-scripts=sersync-ts',
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      tgz,
    ],
    NO_COMPILER,
    tmp.path,
  );
  assert.equal(install.status, 0, install.out);
  const pkgDir = join(prefix, 'lib', 'node_modules', 'sersync-ts');
  assert.match(
    install.out,
    new RegExp(`using the prebuilt native addon prebuilds/linux-${arch()}/`),
  );
  assert.ok(!existsSync(join(pkgDir, 'build')), `nothing was compiled:\n${install.out}`);
  const bin = join(prefix, 'bin', 'sersync');
  const version = run(bin, ['--version']);
  assert.equal(version.status, 0, version.out);
  assert.match(version.out, /^sersync \d+\.\d+\.\d+/);
  assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'sersync.1')), 'man page installed');

  const native = await backendOf(bin, join(tmp.path, 'run-native'));
  assert.equal(native.backend, 'inotify', native.output);

  // The unit for this install runs the installed bin link (this node is the one systemd finds).
  const unit = run(bin, ['--systemd-unit', '-o', join(tmp.path, 'run-native', 'confxml.xml')]);
  assert.equal(unit.status, 0, unit.out);
  const exec = /^ExecStart=(\S+) /m.exec(unit.out)?.[1];
  const systemdNode = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']
    .map((d) => join(d, 'node'))
    .find((p) => existsSync(p));
  const sameNode =
    systemdNode !== undefined && realpathSync(systemdNode) === realpathSync(process.execPath);
  assert.equal(exec, sameNode ? bin : realpathSync(process.execPath), unit.out);
  assert.match(unit.out, /^Type=notify$/m, 'the prebuilt addon sends sd_notify');

  // No prebuilt and no compiler: the install script warns and succeeds; the service falls back.
  rmSync(join(pkgDir, 'prebuilds'), { recursive: true });
  const script = run(
    process.execPath,
    [join(pkgDir, 'scripts', 'install-native.js')],
    {
      ...NO_COMPILER,
      npm_config_node_gyp: join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    },
    pkgDir,
  );
  assert.equal(script.status, 0, script.out);
  assert.match(script.out, /WARNING: the native inotify addon is not available/);
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  const fallback = await backendOf(bin, join(tmp.path, 'run-parcel'));
  assert.equal(fallback.backend, 'parcel', fallback.output);
  assert.match(
    fallback.output,
    /\[warn\] watcher backend: parcel \(@parcel\/watcher\) because no native inotify addon/,
  );
});
