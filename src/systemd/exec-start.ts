// The command a systemd unit should run for this install. Shell (reads the file system).
//
// The npm bin link (e.g. /usr/local/bin/sersync or /usr/bin/sersync, wherever npm's prefix is)
// starts with `#!/usr/bin/env node`: under systemd that finds node on systemd's own PATH. When
// that is not the node running now (nvm, /opt/node-v20), the unit names this node explicitly.
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** systemd's default PATH for services (systemd.exec(5), "Environment variables"). */
export const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin'];

export interface ExecStartFacts {
  /** process.execPath */
  readonly execPath: string;
  /** process.argv[1]: how this program was started (the bin link or dist/src/cli.js). */
  readonly script: string;
  readonly cwd: string;
}

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The node systemd would find for `#!/usr/bin/env node`, resolved; undefined when none. */
function systemdNode(): string | undefined {
  for (const dir of SYSTEMD_PATH) {
    const p = join(dir, 'node');
    if (existsSync(p) && executable(p)) return real(p);
  }
  return undefined;
}

/** ExecStart's words before `-o CONFIG`, all absolute. */
export function execStartCommand(f: ExecStartFacts): string[] {
  const script = resolve(f.cwd, f.script);
  const isBinLink = ['sersync', 'sersync2'].includes(basename(script)) && executable(script);
  const sameNode = systemdNode() === real(f.execPath);
  if (isBinLink && sameNode) return [script];
  // Not started through the bin link (node dist/src/cli.js, npx from a checkout), or another node.
  return [real(f.execPath) ?? f.execPath, isBinLink ? script : (real(script) ?? script)];
}
