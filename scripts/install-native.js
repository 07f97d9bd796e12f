#!/usr/bin/env node
// The package's "install" script: makes the native addon (inotify + sd_notify) available, and
// never fails the install over it.
//   installed package: a prebuilt addon from prebuilds/ that loads here is used as is (no
//                      compiler needed); otherwise it is compiled with node-gyp.
//   git checkout (tsconfig.json present): compiled from native/ when a compiler works, so tests
//                      run the sources; the prebuilt is the fallback.
//   neither works:     a warning, exit 0. sersync then runs on @parcel/watcher (docs/watchers.md)
//                      and cannot send sd_notify readiness (the generated unit uses Type=exec).
// npm_config_build_from_source=true forces compiling. Node's headers: npm_config_nodedir, else
// the include/node directory next to this node (Debian: /usr/include/node), never a download.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const say = (line) => console.error(`sersync: ${line}`);

/** The prebuilt addon for this platform that loads in this node, or a reason why there is none. */
function loadablePrebuild() {
  let file;
  try {
    // PREBUILDS_ONLY: skip build/Release (read by node-gyp-build when it is first loaded).
    process.env.PREBUILDS_ONLY = '1';
    file = require('node-gyp-build').path(root);
  } catch (e) {
    return { error: String(e instanceof Error ? e.message : e).split('\n')[0] };
  } finally {
    delete process.env.PREBUILDS_ONLY;
  }
  try {
    const mod = require(file);
    if (process.platform === 'linux' && mod.supported !== true)
      return { error: `${relative(root, file)} has no inotify support` };
    return { file };
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { error: `${relative(root, file)} does not load here: ${why}` };
  }
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return ['node-gyp'];
  }
}

function compile() {
  const [cmd, ...pre] = nodeGyp();
  const args = [...pre, 'rebuild'];
  const headers = resolve(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(headers, 'include/node/node_api.h')))
    args.push(`--nodedir=${headers}`);
  say(`compiling the native addon: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) return `${cmd}: ${r.error.message}`;
  return r.status === 0 ? undefined : `node-gyp exited with ${r.status ?? r.signal}`;
}

function main() {
  const checkout = existsSync(join(root, 'tsconfig.json'));
  const force = process.env.npm_config_build_from_source === 'true';
  const pre = loadablePrebuild();
  if (!checkout && !force && pre.file) {
    say(`using the prebuilt native addon ${relative(root, pre.file)}`);
    return;
  }
  if (process.platform !== 'linux' && !force) {
    say(`no native addon on ${process.platform}: the @parcel/watcher backend is used`);
    return;
  }
  const failed = compile();
  if (failed === undefined) return;
  if (pre.file) {
    say(`${failed}; using the prebuilt native addon ${relative(root, pre.file)} instead`);
    return;
  }
  say(
    `WARNING: the native inotify addon is not available (no prebuilt: ${pre.error}; compiling: ${failed}).`,
  );
  say('sersync will run on @parcel/watcher (see docs/watchers.md for what it cannot honour) and');
  say('cannot notify systemd. To build it: apt-get install -y g++ make python3, then reinstall.');
}

main();
