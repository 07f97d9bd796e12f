// Runs the real service the way a user does (`node dist/src/cli.js -o conf.xml …`) and writes
// confxml.xml files for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli.js of the build these tests were compiled into. */
export const CLI = resolve(here, '..', '..', 'src', 'cli.js');

export interface ConfOptions {
  roots: { watch: string; remotes: { ip: string; name: string }[] }[];
  port: number;
  failLog: string;
  inotify?: Partial<Record<'delete' | 'createFolder' | 'createFile' | 'closeWrite' | 'moveFrom' | 'moveTo' | 'attrib' | 'modify', boolean>>;
  excludes?: string[];
  auth?: { user: string; passwordFile: string };
  debug?: boolean;
  watcher?: 'auto' | 'inotify' | 'parcel';
  commonParams?: string;
  extraDaemonAttrs?: string;
  /** When set, `<host>` enables the status endpoint on this port (absent: no endpoint). */
  statusPort?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** A complete confxml.xml in the original's layout. */
export function confXml(o: ConfOptions): string {
  const sw = { delete: true, createFolder: true, createFile: false, closeWrite: true, moveFrom: true, moveTo: true, attrib: false, modify: false, ...o.inotify };
  const filter = (o.excludes ?? []).map((e) => `    <exclude expression="${esc(e)}"/>`).join('\n');
  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
${o.statusPort === undefined ? '' : `  <host hostip="127.0.0.1" port="${o.statusPort}"></host>\n`}  <debug start="${o.debug ? 'true' : 'false'}"/>
  <fileSystem xfs="false"/>
  <filter start="${o.excludes && o.excludes.length > 0 ? 'true' : 'false'}">
${filter}
  </filter>
  <inotify>
${Object.entries(sw).map(([k, v]) => `    <${k} start="${v ? 'true' : 'false'}"/>`).join('\n')}
  </inotify>
  <sersync>
${o.roots.map((r) => `    <localpath watch="${esc(r.watch)}">\n${r.remotes.map((m) => `      <remote ip="${m.ip}" name="${esc(m.name)}"/>`).join('\n')}\n    </localpath>`).join('\n')}
    <rsync>
      <commonParams params="${esc(o.commonParams ?? '-artuz')}"/>
      <auth start="${o.auth ? 'true' : 'false'}" users="${esc(o.auth?.user ?? 'root')}" passwordfile="${esc(o.auth?.passwordFile ?? '/etc/rsync.pas')}"/>
      <userDefinedPort start="true" port="${o.port}"/>
      <timeout start="true" time="100"/>
      <ssh start="false"/>
    </rsync>
    <failLog path="${esc(o.failLog)}" timeToExecute="60"/>
    <crontab start="false" schedule="600"></crontab>
    <plugin start="false" name="command"/>
  </sersync>
  <daemon watcher="${o.watcher ?? 'auto'}" ${o.extraDaemonAttrs ?? ''}/>
</head>
`;
}

export interface Service {
  proc: ChildProcess;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Writes `xml` to dir/confxml.xml, starts the service and waits until it logs that it is watching. */
export async function startService(dir: string, xml: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Service> {
  const conf = join(dir, 'confxml.xml');
  writeFileSync(conf, xml);
  const proc = spawn(process.execPath, [CLI, ...args, '-o', conf], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => { r(c); }));
  await eventually(() => {
    if (proc.exitCode !== null) throw new Error(`service exited ${proc.exitCode}: ${out}`);
    return /ready: watching /.test(out);
  }, { timeoutMs: 15_000, what: 'the service to start watching' });
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}
