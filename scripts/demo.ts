// `npm run demo`: a self-contained demo. Starts a loopback rsync daemon on a free port with a module
// pointing at .demo/target, writes .demo/confxml.xml watching .demo/source, and runs the service in
// the foreground (`sersync -r -o .demo/confxml.xml`). Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { confXml } from './lib/conf-xml.js';
import { freePort, startRsyncd } from './lib/rsyncd.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '..', '..');
const cli = join(packageRoot, 'dist', 'src', 'cli.js');

async function main(): Promise<number> {
  const probe = spawnSync('rsync', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.error('rsync is not installed. Install it first:\n\n    apt-get install -y rsync\n');
    return 69;
  }
  const base = resolve(process.cwd(), '.demo');
  const source = join(base, 'source');
  const target = join(base, 'target');
  mkdirSync(source, { recursive: true });
  mkdirSync(target, { recursive: true });
  if (!existsSync(join(source, 'hello.txt')))
    writeFileSync(join(source, 'hello.txt'), 'hello from the source\n');

  const daemon = await startRsyncd(join(base, 'rsyncd'), [{ name: 'demo', path: target }]);
  const conf = join(base, 'confxml.xml');
  const statusPort = await freePort();
  writeFileSync(
    conf,
    confXml({
      roots: [{ watch: source, remotes: [{ ip: '127.0.0.1', name: 'demo' }] }],
      port: daemon.port,
      failLog: join(base, 'rsync_fail_log.sh'),
      statusPort,
    }),
  );

  console.log(`
  sersync demo
  ------------
  rsync daemon : 127.0.0.1:${daemon.port}, module "demo" -> ${target}
  config       : ${conf}
  drop files in: ${source}
  they appear  : ${target}
  live status  : http://127.0.0.1:${statusPort}/status   (also /healthz and /metrics)
  try (another terminal):  echo hi > ${join(source, 'new.txt')} && ls ${target}
  Ctrl-C stops the service and the rsync daemon. Each synced batch is one log line below.
`);
  // Its own process group: Ctrl-C reaches it once, forwarded by us (a second one would force a stop).
  const child = spawn(process.execPath, [cli, '-r', '-o', conf], {
    stdio: 'inherit',
    detached: true,
  });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolveExit) => {
    child.on('exit', (c, s) => {
      resolveExit(c ?? (s ? 128 : 1));
    });
  });
  await daemon.stop();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 70;
  },
);
