// The confxml.xml schema (which element and attribute may appear where) and the first validation
// pass: match names case-insensitively (as sersync's xmlParser does), rename them to the schema's
// spelling, and warn about unknown or repeated ones with a "did you mean" hint. Pure.
import { INOTIFY_SWITCH_NAMES, PLUGIN_NAMES, type PluginName } from './types.js';
import { didYouMean, shown, type IssueSink, type Where } from './issues.js';
import type { XmlElement } from './xml.js';

/** Which attributes and child elements an element takes. `many`: it may repeat under its parent. */
export interface Spec {
  readonly attrs: readonly string[];
  readonly children?: Readonly<Record<string, Spec>>;
  readonly many?: boolean;
}

/** An attribute after normalisation: `at.path` is `elem/path@attr`. */
export interface Attr {
  readonly value: string;
  readonly at: Where;
}

/** An element after normalisation: canonical names only, unknown ones dropped. */
export interface Node {
  readonly name: string;
  /** `at.path` is the element path below `<head>` (`sersync/rsync/timeout`), `head` for the root. */
  readonly at: Where;
  readonly attrs: ReadonlyMap<string, Attr>;
  readonly children: readonly Node[];
}

const SWITCH: Spec = { attrs: ['start'] };

/** Head-level `<plugin name=…>` sections; the `name` attribute decides which one applies. */
export const PLUGIN_SPECS: Readonly<Record<PluginName, Spec>> = {
  command: {
    attrs: ['name'],
    children: {
      param: { attrs: ['prefix', 'suffix', 'ignoreError', 'timeout'] },
      filter: { attrs: ['start'], children: { include: { attrs: ['expression'], many: true } } },
    },
  },
  socket: {
    attrs: ['name'],
    children: {
      localpath: {
        attrs: ['watch'],
        many: true,
        children: { deshost: { attrs: ['ip', 'port'], many: true } },
      },
    },
  },
  refreshCDN: {
    attrs: ['name'],
    children: {
      localpath: {
        attrs: ['watch'],
        many: true,
        children: {
          cdninfo: { attrs: ['domainname', 'port', 'username', 'passwd'] },
          sendurl: { attrs: ['base'] },
          regexurl: { attrs: ['regex', 'match'] },
        },
      },
    },
  },
  http: {
    attrs: ['name'],
    children: {
      localpath: {
        attrs: ['watch'],
        many: true,
        children: { deshost: { attrs: ['url'], many: true } },
      },
    },
  },
};

/** The whole file below the root. `<daemon>` and failLog's retryCap/stateDir are our extensions. */
export const HEAD_SPEC: Spec = {
  attrs: ['version'],
  children: {
    host: { attrs: ['hostip', 'port'] },
    debug: SWITCH,
    fileSystem: { attrs: ['xfs'] },
    filter: { attrs: ['start'], children: { exclude: { attrs: ['expression'], many: true } } },
    inotify: {
      attrs: [],
      children: Object.fromEntries(INOTIFY_SWITCH_NAMES.map((n) => [n, SWITCH])),
    },
    sersync: {
      attrs: [],
      children: {
        localpath: {
          attrs: ['watch'],
          many: true,
          children: { remote: { attrs: ['ip', 'name'], many: true } },
        },
        rsync: {
          attrs: [],
          children: {
            commonParams: { attrs: ['params'] },
            auth: { attrs: ['start', 'users', 'passwordfile'] },
            userDefinedPort: { attrs: ['start', 'port'] },
            timeout: { attrs: ['start', 'time'] },
            ssh: SWITCH,
          },
        },
        failLog: { attrs: ['path', 'timeToExecute', 'retryCap', 'stateDir'] },
        crontab: {
          attrs: ['start', 'schedule'],
          children: {
            crontabfilter: {
              attrs: ['start'],
              children: { exclude: { attrs: ['expression'], many: true } },
            },
          },
        },
        plugin: { attrs: ['start', 'name'] },
      },
    },
    // Children depend on the name attribute: see PLUGIN_SPECS.
    plugin: { attrs: ['name'], many: true },
    daemon: {
      attrs: [
        'watcher',
        'skipEditorTemp',
        'quietMs',
        'pidFile',
        'logFile',
        'rootGuard',
        'maxDeletePercent',
      ],
    },
  },
};

const findName = (name: string, known: readonly string[]): string | undefined =>
  known.find((k) => k.toLowerCase() === name.toLowerCase());

/** The head-level plugin's `name` value as written (first `name` attribute, any case). */
function pluginNameOf(el: XmlElement): string | undefined {
  return el.attrs.find((a) => a.name.toLowerCase() === 'name')?.value;
}

function normaliseElement(
  el: XmlElement,
  name: string,
  spec: Spec,
  path: string,
  sink: IssueSink,
): Node {
  const attrs = new Map<string, Attr>();
  for (const a of el.attrs) {
    const at = { path: `${path}@${a.name}`, line: a.line, col: a.col };
    const canon = findName(a.name, spec.attrs);
    if (canon === undefined) {
      const known = spec.attrs.length > 0 ? ` (known: ${spec.attrs.join(', ')})` : '';
      sink.warn(
        at,
        'unknown-attribute',
        `unknown attribute "${a.name}" on <${name}> is ignored${didYouMean(a.name, spec.attrs) || known}`,
      );
    } else if (attrs.has(canon)) {
      sink.warn(
        at,
        'duplicate-attribute',
        `"${canon}" is given twice (names ignore case); the first one is used`,
      );
    } else {
      attrs.set(canon, { value: a.value, at: { ...at, path: `${path}@${canon}` } });
    }
  }
  const here = { path, line: el.line, col: el.col };
  if (el.text !== '')
    sink.warn(here, 'text-ignored', `text inside <${name}> is ignored, got ${shown(el.text)}`);
  const childSpecs = spec.children ?? {};
  const known = Object.keys(childSpecs);
  const children: Node[] = [];
  for (const c of el.children) {
    const prefix = path === 'head' ? '' : `${path}/`;
    const canon = findName(c.name, known);
    const cSpec = canon === undefined ? undefined : childSpecs[canon];
    if (canon === undefined || cSpec === undefined) {
      const at = { path: `${prefix}${c.name}`, line: c.line, col: c.col };
      const hint = didYouMean(c.name, known);
      sink.warn(
        at,
        'unknown-element',
        `unknown element <${c.name}> inside <${name}> is ignored${hint}`,
      );
      continue;
    }
    let cPath = `${prefix}${canon}`;
    let spec2 = cSpec;
    if (path === 'head' && canon === 'plugin') {
      const pName = pluginNameOf(c) ?? '';
      cPath = `plugin[name=${pName}]`;
      const ps = (PLUGIN_NAMES as readonly string[]).includes(pName)
        ? PLUGIN_SPECS[pName as PluginName]
        : undefined;
      // An unknown plugin name: validate reports it once; its children are not checked one by one.
      spec2 =
        ps === undefined ? { attrs: ['name'], many: true, children: {} } : { ...ps, many: true };
      if (ps === undefined) {
        children.push({ ...normaliseElement({ ...c, children: [] }, canon, spec2, cPath, sink) });
        continue;
      }
    }
    if (cSpec.many !== true && children.some((n) => n.name === canon)) {
      sink.warn(
        { path: cPath, line: c.line, col: c.col },
        'duplicate-element',
        `<${canon}> appears again inside <${name}>; only the first one is used`,
      );
      continue;
    }
    children.push(normaliseElement(c, canon, spec2, cPath, sink));
  }
  return { name, at: here, attrs, children };
}

/** Pass 1: the root must be `<head>` (any case); returns the canonical tree, or undefined after an error. */
export function normalise(root: XmlElement, sink: IssueSink): Node | undefined {
  if (root.name.toLowerCase() !== 'head') {
    sink.error(
      { path: root.name, line: root.line, col: root.col },
      'wrong-root',
      `expected the root element <head>, got <${root.name}>`,
    );
    return undefined;
  }
  return normaliseElement(root, 'head', HEAD_SPEC, 'head', sink);
}

/** The first child named `name`, if any. */
export function first(node: Node | undefined, name: string): Node | undefined {
  return node?.children.find((c) => c.name === name);
}

/** Every child named `name`, in document order. */
export function all(node: Node | undefined, name: string): readonly Node[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

/** Where attribute `attr` of `node` is, or (when it is absent) where it would belong. */
export function whereAttr(node: Node, attr: string): Where {
  return node.attrs.get(attr)?.at ?? { ...node.at, path: `${node.at.path}@${attr}` };
}
