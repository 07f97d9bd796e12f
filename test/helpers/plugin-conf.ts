// The confxml.xml builder for the crontab and plugin end-to-end tests (service.ts's confXml() has
// no crontab or plugin sections), plus the small things those tests talk to: a TCP listener that
// records what the socket/refreshCDN plugins send, a recording command for the command plugin,
// and a stand-in rsync that only records that it ran.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { confXml, esc, type InotifySwitch } from '../../scripts/lib/conf-xml.js';
import { startRsyncd } from './rsyncd.js';
import { startService, type Service } from './service.js';
import { tmpDir } from './tmp.js';
import { diffTrees } from './tree.js';

export { esc, type InotifySwitch } from '../../scripts/lib/conf-xml.js';

/** Every `<inotify>` switch set to false: the watcher runs, but no event ever becomes a sync. */
export const ALL_SWITCHES_OFF: Readonly<Record<InotifySwitch, boolean>> = Object.freeze({
  delete: false,
  createFolder: false,
  createFile: false,
  closeWrite: false,
  moveFrom: false,
  moveTo: false,
  attrib: false,
  modify: false,
});

export interface PluginConfOptions {
  /** `<sersync><localpath watch>` roots, each with its `<remote>`s. */
  roots: { watch: string; remotes: { ip: string; name: string }[] }[];
  /** rsync daemon port (`<userDefinedPort start="true">`). */
  port: number;
  failLog: string;
  /** Overrides of the template's `<inotify>` switches. */
  inotify?: Partial<Record<InotifySwitch, boolean>>;
  /** Realtime `<filter>` regexes (the filter is on when the list is not empty). */
  excludes?: string[];
  commonParams?: string;
  debug?: boolean;
  /** `<crontab start schedule>` (minutes) and its `<crontabfilter>`. Absent: crontab off. */
  crontab?: {
    start: boolean;
    scheduleMin?: number;
    filter?: { start: boolean; excludes: string[] };
  };
  /** `<sersync><plugin start name>`. Absent: `start="false" name="command"`. */
  sersyncPlugin?: { start: boolean; name: 'command' | 'socket' | 'refreshCDN' | 'http' };
  /** Head-level `<plugin name=…>` sections; only the ones given are written. */
  plugins?: {
    command?: { prefix: string; suffix?: string; ignoreError?: boolean; includes?: string[] };
    socket?: { watch: string; deshosts: { ip: string; port: number }[] }[];
    refreshCDN?: {
      watch: string;
      cdn: { domainname: string; port: number; username: string; passwd: string };
      base: string;
      regex?: { on: boolean; match: string };
    }[];
    http?: { watch: string; urls: string[] }[];
  };
}

const on = (b: boolean | undefined): string => (b === true ? 'true' : 'false');

function crontabXml(c: PluginConfOptions['crontab']): string {
  if (c === undefined) return '    <crontab start="false" schedule="600"></crontab>';
  const f = c.filter;
  const excludes = (f?.excludes ?? [])
    .map((e) => `        <exclude expression="${esc(e)}"></exclude>`)
    .join('\n');
  return [
    `    <crontab start="${on(c.start)}" schedule="${c.scheduleMin ?? 600}">`,
    `      <crontabfilter start="${on(f?.start)}">`,
    ...(excludes === '' ? [] : [excludes]),
    '      </crontabfilter>',
    '    </crontab>',
  ].join('\n');
}

function pluginSections(p: PluginConfOptions['plugins']): string {
  if (p === undefined) return '';
  const out: string[] = [];
  if (p.command) {
    const c = p.command;
    const inc = (c.includes ?? []).map((e) => `      <include expression="${esc(e)}"/>`).join('\n');
    out.push(
      '  <plugin name="command">',
      `    <param prefix="${esc(c.prefix)}" suffix="${esc(c.suffix ?? '')}" ignoreError="${on(c.ignoreError)}"/>`,
      `    <filter start="${on((c.includes ?? []).length > 0)}">`,
      ...(inc === '' ? [] : [inc]),
      '    </filter>',
      '  </plugin>',
    );
  }
  if (p.socket) {
    out.push('  <plugin name="socket">');
    for (const lp of p.socket) {
      out.push(`    <localpath watch="${esc(lp.watch)}">`);
      for (const d of lp.deshosts) out.push(`      <deshost ip="${esc(d.ip)}" port="${d.port}"/>`);
      out.push('    </localpath>');
    }
    out.push('  </plugin>');
  }
  if (p.refreshCDN) {
    out.push('  <plugin name="refreshCDN">');
    for (const lp of p.refreshCDN) {
      const { cdn } = lp;
      out.push(
        `    <localpath watch="${esc(lp.watch)}">`,
        `      <cdninfo domainname="${esc(cdn.domainname)}" port="${cdn.port}" username="${esc(cdn.username)}" passwd="${esc(cdn.passwd)}"/>`,
        `      <sendurl base="${esc(lp.base)}"/>`,
        `      <regexurl regex="${on(lp.regex?.on)}" match="${esc(lp.regex?.match ?? 'unused')}"/>`,
        '    </localpath>',
      );
    }
    out.push('  </plugin>');
  }
  if (p.http) {
    out.push('  <plugin name="http">');
    for (const lp of p.http) {
      out.push(`    <localpath watch="${esc(lp.watch)}">`);
      for (const u of lp.urls) out.push(`      <deshost url="${esc(u)}"/>`);
      out.push('    </localpath>');
    }
    out.push('  </plugin>');
  }
  return `${out.join('\n')}\n`;
}

/** A complete confxml.xml in the original's layout, with crontab and plugin sections. */
export function pluginConfXml(o: PluginConfOptions): string {
  return confXml({
    roots: o.roots,
    port: o.port,
    failLog: o.failLog,
    ...(o.inotify ? { inotify: o.inotify } : {}),
    ...(o.excludes ? { excludes: o.excludes } : {}),
    commonParams: o.commonParams ?? '-artz',
    debug: o.debug ?? false,
    crontabXml: crontabXml(o.crontab),
    ...(o.sersyncPlugin ? { sersyncPlugin: o.sersyncPlugin } : {}),
    pluginSectionsXml: pluginSections(o.plugins),
  });
}

/** A service syncing `src` to a real loopback rsyncd module serving `dst`. */
export interface Synced {
  readonly dir: string;
  readonly src: string;
  readonly dst: string;
  readonly service: Service;
}

/**
 * Per test: a temp dir with src/ and dst/, a real rsyncd serving dst/ as module `mod`, `prepare`
 * (run before the service starts, may return an env for it), then the service for
 * `conf(dir, src)` plus the root, port and fail log. Torn down after the test; the service must
 * have exited 0 on SIGTERM.
 */
export async function startSynced(
  t: TestContext,
  conf: (dir: string, src: string) => Omit<PluginConfOptions, 'roots' | 'port' | 'failLog'>,
  opts: { prepare?: (src: string, dst: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<Synced> {
  const tmp = tmpDir('sersync-pluge2e-');
  const src = join(tmp.path, 'src');
  const dst = join(tmp.path, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  const rsyncd = await startRsyncd(join(tmp.path, 'rsyncd'), [{ name: 'mod', path: dst }]);
  const started: { service?: Service } = {};
  t.after(async () => {
    const { service } = started;
    const code = await service?.stop();
    await rsyncd.stop();
    tmp.cleanup();
    if (service) assert.equal(code, 0, `service exit code (output:\n${service.output()})`);
  });
  opts.prepare?.(src, dst);
  const xml = pluginConfXml({
    ...conf(tmp.path, src),
    roots: [{ watch: src, remotes: [{ ip: '127.0.0.1', name: 'mod' }] }],
    port: rsyncd.port,
    failLog: join(tmp.path, 'fail.sh'),
  });
  const service = await startService(tmp.path, xml, [], opts.env ?? {});
  started.service = service;
  return { dir: tmp.path, src, dst, service };
}

/** A check for `eventually`: target == source (except `ignore`d paths), else throws the first differences. */
export function converged(
  src: string,
  dst: string,
  ignore?: (p: string) => boolean,
): () => boolean {
  return () => {
    const d = diffTrees(src, dst, ignore ? { ignore } : {});
    if (d.length > 0) throw new Error(d.slice(0, 5).join('; '));
    return true;
  };
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A command for the command plugin that appends its argv to a file; optionally hangs afterwards. */
export interface RecordingCommand {
  /** The executable (put it first in `param@prefix`). */
  readonly path: string;
  /** The argv (without argv[0]) of every call so far, in call order. */
  readonly calls: () => string[][];
  /** Process ids of every call so far (to check that a hung call was killed). */
  readonly pids: () => number[];
}

/**
 * Writes `dir/NAME` (a /bin/sh script). Each call appends `argc NUL arg1 NUL … argN NUL` to a
 * record file (one call at a time per plugin, so records never interleave) and its pid to another;
 * with `hang`, it then sleeps until it is killed.
 */
export function writeRecordingCommand(
  dir: string,
  name: string,
  opts: { hang?: boolean } = {},
): RecordingCommand {
  const path = join(dir, name);
  const record = join(dir, `${name}.calls`);
  const pidFile = join(dir, `${name}.pids`);
  writeFileSync(
    path,
    `#!/bin/sh
# Test command for the command plugin (test/helpers/plugin-conf.ts): records its argv.
echo "$$" >> ${shQuote(pidFile)}
{ printf '%s\\0' "$#"; for a in "$@"; do printf '%s\\0' "$a"; done; } >> ${shQuote(record)}
${opts.hang === true ? 'exec sleep 3600' : 'exit 0'}
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => {
      if (!existsSync(record)) return [];
      const words = readFileSync(record, 'utf8').split('\0');
      const out: string[][] = [];
      let i = 0;
      while (i < words.length - 1) {
        const n = Number(words[i]);
        out.push(words.slice(i + 1, i + 1 + n));
        i += 1 + n;
      }
      return out;
    },
    pids: () => {
      if (!existsSync(pidFile)) return [];
      return readFileSync(pidFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(Number);
    },
  };
}

/** A stand-in rsync that answers `--version` like rsync 3.2.7 and records every call; it never transfers. */
export interface RecordingRsync {
  readonly path: string;
  /** One line per call (`--version` included): its arguments joined by spaces. */
  readonly calls: () => string[];
}

export function writeRecordingRsync(dir: string): RecordingRsync {
  const path = join(dir, 'rsync-recorder');
  const record = join(dir, 'rsync-recorder.calls');
  writeFileSync(
    path,
    `#!/bin/sh
# Test stand-in for rsync (test/helpers/plugin-conf.ts): records that it ran, transfers nothing.
echo "$*" >> ${shQuote(record)}
case "$1" in
  --version) echo "rsync  version 3.2.7  protocol version 31" ;;
  *) cat > /dev/null ;;
esac
exit 0
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    calls: () =>
      existsSync(record)
        ? readFileSync(record, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [],
  };
}

/** A TCP listener on 127.0.0.1 that keeps the bytes of every connection. */
export interface TcpRecorder {
  readonly port: number;
  /** The bytes (as UTF-8) of each connection the peer has finished sending (EOF seen), in EOF order. */
  readonly received: () => string[];
  readonly close: () => Promise<void>;
}

/**
 * Starts a recorder. With `reply`, the listener answers each connection once it has seen a
 * complete request (`reply(bytesSoFar)` returns the answer, or undefined to keep reading).
 */
export async function startTcpRecorder(
  reply?: (soFar: string) => string | undefined,
): Promise<TcpRecorder> {
  const done: string[] = [];
  const open = new Set<Socket>();
  const server = createServer((s) => {
    open.add(s);
    let buf = Buffer.alloc(0);
    let answered = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (reply === undefined || answered) return;
      const text = buf.toString('utf8');
      const r = reply(text);
      if (r === undefined) return;
      answered = true;
      done.push(text);
      s.end(r);
    });
    s.on('end', () => {
      if (!answered) done.push(buf.toString('utf8'));
      s.end();
    });
    s.on('close', () => {
      open.delete(s);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') throw new Error('no address for the TCP recorder');
  return {
    port: addr.port,
    received: () => [...done],
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => {
          r();
        });
      }),
  };
}

/** True while process `pid` runs (a zombie, killed but not yet reaped, counts as gone). Linux /proc. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
