// Writes complete confxml.xml files in sersync 2.5.4's layout, for the demo, the benchmark and the
// tests. Values are XML-escaped; optional sections are strings the caller builds.
import { dirname } from 'node:path';

export type InotifySwitch =
  | 'delete'
  | 'createFolder'
  | 'createFile'
  | 'closeWrite'
  | 'moveFrom'
  | 'moveTo'
  | 'attrib'
  | 'modify';

/** The template's `<inotify>` switches. */
export const TEMPLATE_SWITCHES: Readonly<Record<InotifySwitch, boolean>> = Object.freeze({
  delete: true,
  createFolder: true,
  createFile: false,
  closeWrite: true,
  moveFrom: true,
  moveTo: true,
  attrib: false,
  modify: false,
});

export interface ConfOptions {
  roots: { watch: string; remotes: { ip: string; name: string }[] }[];
  /** rsync daemon port (`<userDefinedPort start="true">`). */
  port: number;
  failLog: string;
  /** `<failLog stateDir>`; default `<dir of failLog>/sersync-state` (private to the test's temp dir); false: no attribute (the service's default location). */
  stateDir?: string | false;
  inotify?: Partial<Record<InotifySwitch, boolean>>;
  /** `<filter>` regexes (the filter is on when the list is not empty). */
  excludes?: string[];
  auth?: { user: string; passwordFile: string };
  debug?: boolean;
  watcher?: 'auto' | 'inotify' | 'parcel';
  commonParams?: string;
  /** `<timeout start time>` seconds; default on, 100. */
  timeoutSeconds?: number | false;
  /** When set, `<host>` enables the status endpoint on this port (absent: no endpoint). */
  statusPort?: number;
  /** Extra `<daemon>` attributes, e.g. `quietMs="5"`. */
  extraDaemonAttrs?: string;
  /** `<failLog retryCap>` seconds (our extension; also the /healthz grace); default: absent (60). */
  retryCapSeconds?: number;
  /** `<crontab>…</crontab>` XML; default: crontab off. */
  crontabXml?: string;
  /** `<sersync><plugin start name>`; default start="false" name="command". */
  sersyncPlugin?: { start: boolean; name: 'command' | 'socket' | 'refreshCDN' | 'http' };
  /** Head-level `<plugin name=…>` sections, as XML. */
  pluginSectionsXml?: string;
}

/** XML attribute escaping. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const on = (b: boolean | undefined): string => (b === true ? 'true' : 'false');

/** A complete confxml.xml. */
export function confXml(o: ConfOptions): string {
  const sw = { ...TEMPLATE_SWITCHES, ...o.inotify };
  const excludes = o.excludes ?? [];
  const sp = o.sersyncPlugin ?? { start: false, name: 'command' };
  const timeout = o.timeoutSeconds ?? 100;
  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
${o.statusPort === undefined ? '' : `  <host hostip="127.0.0.1" port="${o.statusPort}"></host>\n`}  <debug start="${on(o.debug)}"/>
  <fileSystem xfs="false"/>
  <filter start="${on(excludes.length > 0)}">
${excludes.map((e) => `    <exclude expression="${esc(e)}"/>`).join('\n')}
  </filter>
  <inotify>
${Object.entries(sw)
  .map(([k, v]) => `    <${k} start="${on(v)}"/>`)
  .join('\n')}
  </inotify>
  <sersync>
${o.roots.map((r) => `    <localpath watch="${esc(r.watch)}">\n${r.remotes.map((m) => `      <remote ip="${esc(m.ip)}" name="${esc(m.name)}"/>`).join('\n')}\n    </localpath>`).join('\n')}
    <rsync>
      <commonParams params="${esc(o.commonParams ?? '-artuz')}"/>
      <auth start="${on(o.auth !== undefined)}" users="${esc(o.auth?.user ?? 'root')}" passwordfile="${esc(o.auth?.passwordFile ?? '/etc/rsync.pas')}"/>
      <userDefinedPort start="true" port="${o.port}"/>
      <timeout start="${on(timeout !== false)}" time="${timeout === false ? 100 : timeout}"/>
      <ssh start="false"/>
    </rsync>
    <failLog path="${esc(o.failLog)}"${o.stateDir === false ? '' : ` stateDir="${esc(o.stateDir ?? `${dirname(o.failLog)}/sersync-state`)}"`} timeToExecute="60"${o.retryCapSeconds === undefined ? '' : ` retryCap="${o.retryCapSeconds}"`}/>
${o.crontabXml ?? '    <crontab start="false" schedule="600"></crontab>'}
    <plugin start="${on(sp.start)}" name="${sp.name}"/>
  </sersync>
${o.pluginSectionsXml ?? ''}  <daemon watcher="${o.watcher ?? 'auto'}" ${o.extraDaemonAttrs ?? ''}/>
</head>
`;
}
