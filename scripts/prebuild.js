#!/usr/bin/env node
// Builds the prebuilt native addons shipped in the package (prebuilds/<platform>-<arch>/, found at
// run time by node-gyp-build) from this checkout's native/ sources, with prebuildify:
//   linux-x64   glibc, with the host g++
//   linux-arm64 glibc, cross-compiled with Debian's g++-aarch64-linux-gnu
// and writes prebuilds/SOURCES.sha256, the hash of the sources they were built from, so a stale
// prebuild is caught (`--check`, run by prepack and by the package test).
// Node's headers come from npm_config_nodedir (default /usr: Debian's /usr/include/node), never
// from the network. The build runs in a scratch copy, so the checkout's build/ is left alone.
// Usage: node scripts/prebuild.js [--check] [--arch x64|arm64]...
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const STAMP = join(root, 'prebuilds', 'SOURCES.sha256');

/** What a prebuild depends on: binding.gyp, every file under native/, node-addon-api's version. */
export function sourceHash() {
  const h = createHash('sha256');
  const files = [
    'binding.gyp',
    ...readdirSync(join(root, 'native'))
      .sort()
      .map((f) => `native/${f}`),
  ];
  for (const f of files)
    h.update(`${f}\0`)
      .update(readFileSync(join(root, f)))
      .update('\0');
  const napi = JSON.parse(
    readFileSync(join(root, 'node_modules/node-addon-api/package.json'), 'utf8'),
  );
  h.update(`node-addon-api@${napi.version}`);
  return h.digest('hex');
}

// Built on Debian 12 (glibc 2.36, GCC 12): a prebuild needs glibc >= 2.34 and libstdc++ from
// GCC >= 12 (GLIBCXX_3.4.30): Debian 12, Ubuntu 22.04, RHEL/Alma 10, Fedora 36 and later. Linking
// libstdc++ statically was tried: it raises the glibc floor to 2.36 instead, which drops Ubuntu
// 22.04. Elsewhere the prebuild fails to load and the install script compiles from source.
const TARGETS = {
  x64: { env: {} },
  arm64: {
    env: {
      CC: 'aarch64-linux-gnu-gcc',
      CXX: 'aarch64-linux-gnu-g++',
      LINK: 'aarch64-linux-gnu-g++',
    },
    strip: 'aarch64-linux-gnu-strip',
    apt: 'g++-aarch64-linux-gnu',
  },
};

function check() {
  const want = sourceHash();
  const have = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '(none)';
  if (have === want) return 0;
  console.error(
    `prebuilds/ is stale: built from sources ${have.slice(0, 12)}, native/ and binding.gyp are now ${want.slice(0, 12)}.\n` +
      'Run `npm run prebuild` (needs g++ and g++-aarch64-linux-gnu) and commit prebuilds/.',
  );
  return 1;
}

function build(arches) {
  const scratch = mkdtempSync(join(tmpdir(), 'sersync-prebuild-'));
  try {
    for (const f of ['binding.gyp', 'package.json', 'native'])
      cpSync(join(root, f), join(scratch, f), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
    for (const arch of arches) {
      const t = TARGETS[arch];
      if (t === undefined) throw new Error(`unknown arch ${arch}`);
      const args = ['--napi', '--strip', '--tag-libc', '--arch', arch, '-t', process.versions.node];
      if (t.strip) args.push('--strip-bin', t.strip);
      console.log(`prebuild linux-${arch}: prebuildify ${args.join(' ')}`);
      const r = spawnSync(join(root, 'node_modules/.bin/prebuildify'), args, {
        cwd: scratch,
        stdio: 'inherit',
        env: {
          ...process.env,
          npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
          ...t.env,
        },
      });
      if (r.status !== 0) {
        const hint = t.apt ? ` (the cross compiler: apt-get install -y ${t.apt})` : '';
        throw new Error(`prebuild for linux-${arch} failed${hint}`);
      }
    }
    for (const arch of arches) {
      rmSync(join(root, 'prebuilds', `linux-${arch}`), { recursive: true, force: true });
      cpSync(
        join(scratch, 'prebuilds', `linux-${arch}`),
        join(root, 'prebuilds', `linux-${arch}`),
        {
          recursive: true,
        },
      );
    }
    writeFileSync(STAMP, `${sourceHash()}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return 0;
}

const argv = process.argv.slice(2);
if (argv.includes('--check')) process.exit(check());
const picked = argv.flatMap((a, i) => (argv[i - 1] === '--arch' ? [a] : []));
try {
  process.exit(build(picked.length > 0 ? picked : Object.keys(TARGETS)));
} catch (e) {
  console.error(`prebuild: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
