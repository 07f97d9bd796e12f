// Runs the real service the way a user does (`node dist/src/cli.js -o conf.xml …`); confXml()
// (shared with the demo and the benchmark) writes its confxml.xml.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';
import { encodeName } from '../../src/util/byte-names.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli.js of the build these tests were compiled into. */
export const CLI = resolve(here, '..', '..', 'src', 'cli.js');

export { confXml, type ConfOptions } from '../../scripts/lib/conf-xml.js';

export interface Service {
  proc: ChildProcess;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Writes `xml` to dir/confxml.xml, starts the service and waits until it logs that it is watching. */
export async function startService(
  dir: string,
  xml: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<Service> {
  const conf = join(dir, 'confxml.xml');
  writeFileSync(conf, encodeName(xml)); // BytePaths in the config are their raw bytes
  const proc = spawn(process.execPath, [CLI, ...args, '-o', conf], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (c) => {
      r(c);
    }),
  );
  try {
    await eventually(
      () => {
        if (proc.exitCode !== null) throw new Error(`service exited ${proc.exitCode}: ${out}`);
        return /ready: watching /.test(out);
      },
      { timeoutMs: 15_000, what: 'the service to start watching' },
    );
  } catch (e) {
    if (proc.exitCode === null) proc.kill('SIGKILL'); // never leave a half-started service behind
    throw e;
  }
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}
