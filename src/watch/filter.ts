// Turns watcher events into queue changes: the eight <inotify> switches, the <filter> exclude
// regexes and the editor-scratch-file rule (docs/queue.md "Filter"). Pure, except for one remembered
// directory moveFrom, to pair it with the moveTo that follows it (`renamedFrom`, docs/queue.md "Renames").
import type { Config, InotifySwitches, RegexRule } from '../config/types.js';
import type { Change, Op } from '../queue/types.js';
import type { FsEvent, FsEventKind } from './fs-event.js';
import { createExcludeMatcher, matchesExcludePath } from './exclude-match.js';

/** The filter the daemon builds once from the config. Methods do not use `this` (safe to pass around). */
export interface EventFilter {
  /**
   * The queue change for `ev`, or null when a switch, an exclude or the scratch-file rule drops it.
   * Call it once per event, in watcher order: a directory moveTo right after the moveFrom with the
   * same root and cookie (a rename inside the root) gets `renamedFrom` (only without excludes).
   */
  readonly toChange: (ev: FsEvent) => Change | null;
  /**
   * True when `relPath` (relative to `root`, '/'-separated) must be neither watched, reported nor
   * synced: it, or one of its ancestor directories, fully matches an exclude (see `excludeSubjects`).
   * The root itself ('') is never excluded. The same rules apply to every root.
   */
  readonly isExcluded: (root: string, relPath: string, isDir: boolean) => boolean;
}

/** The op each event kind asks for (sersync FillEvent, except attrib: an upsert, not a delete). */
export const OP_OF_KIND: Readonly<Record<FsEventKind, Op>> = {
  create: 'upsert',
  closeWrite: 'upsert',
  modify: 'upsert',
  attrib: 'upsert',
  moveTo: 'upsert',
  delete: 'remove',
  moveFrom: 'remove',
};

/**
 * Whether the switches let `ev` through. One switch per kind, with create split by type
 * (createFolder / createFile). A synthetic create (found by scanning a new directory) stands for
 * content the kernel never reported, so a file counts when createFile OR closeWrite is on.
 */
export function switchAllows(sw: InotifySwitches, ev: FsEvent): boolean {
  switch (ev.kind) {
    case 'create':
      if (ev.isDir) return sw.createFolder;
      return ev.synthetic === true || ev.noCloseWrite === true
        ? sw.createFile || sw.closeWrite
        : sw.createFile;
    case 'closeWrite':
      return sw.closeWrite;
    case 'modify':
      return sw.modify;
    case 'attrib':
      return sw.attrib;
    case 'delete':
      return sw.delete;
    case 'moveFrom':
      return sw.moveFrom;
    case 'moveTo':
      return sw.moveTo;
  }
}

/** The kinds whose switch is off and that nothing else needs from a watcher (WatcherOptions.unwantedKinds). */
export function unwantedKinds(sw: InotifySwitches): ('modify' | 'attrib')[] {
  return [...(sw.modify ? [] : ['modify' as const]), ...(sw.attrib ? [] : ['attrib' as const])];
}

/**
 * Editor scratch files, skipped in realtime when `daemon.skipEditorTemp` is on (files only):
 * vim's write probe `4913`, backups ending in `~`, vim swap files `.name.swp` / `.name.swx`.
 * Unlike sersync, other dotfiles (.htaccess, .env) are synced.
 */
export function isEditorScratch(name: string): boolean {
  return name === '4913' || name.endsWith('~') || /^\..+\.sw[px]$/.test(name);
}

/** The subject forms of one entry (exclude-match.ts, the one place the exclude verdict lives). */
export { excludeSubjects } from './exclude-match.js';

/** True when any rule fully matches `rel` or one of its ancestor directories (exclude-match.ts). */
export function matchesExclude(rules: readonly RegexRule[], rel: string, isDir: boolean): boolean {
  return matchesExcludePath(
    rules.map((r) => r.regex),
    rel,
    isDir,
  );
}

/** Builds the filter for `config` (switches, `<filter start>` excludes, `daemon.skipEditorTemp`). */
export function createEventFilter(config: Config): EventFilter {
  const rules = config.filter.enabled ? config.filter.excludes : [];
  // One cached verdict per directory and per recent file (exclude-match.ts); a reload builds a
  // new pipeline, so a new filter with empty caches.
  const excluded = createExcludeMatcher(rules.map((r) => r.regex));
  const switches = config.inotify;
  const skipScratch = config.daemon.skipEditorTemp;

  const isExcluded = (_root: string, relPath: string, isDir: boolean): boolean =>
    excluded(relPath, isDir);

  const plainChange = (ev: FsEvent): Change | null => {
    if (ev.path === '') return null; // the root itself: the watcher reports its loss via onRescan
    if (!switchAllows(switches, ev)) return null;
    if (skipScratch && !ev.isDir && isEditorScratch(ev.path.slice(ev.path.lastIndexOf('/') + 1)))
      return null;
    if (excluded(ev.path, ev.isDir)) return null;
    const { root, path, isDir } = ev;
    const op = OP_OF_KIND[ev.kind];
    // Only a kernel create proves the path did not exist just before (a scan or moveTo does not).
    if (ev.kind === 'create' && ev.synthetic !== true)
      return { root, path, op, isDir, created: true };
    return ev.kind === 'closeWrite'
      ? { root, path, op, isDir, closed: true }
      : { root, path, op, isDir };
  };

  // The last event seen, when it was a directory moveFrom that became a remove change.
  let lastMoveFrom: {
    readonly root: string;
    readonly path: string;
    readonly cookie: number;
  } | null = null;

  const toChange = (ev: FsEvent): Change | null => {
    const prev = lastMoveFrom;
    lastMoveFrom = null;
    const change = plainChange(ev);
    if (
      change === null ||
      !ev.isDir ||
      ev.cookie === undefined ||
      ev.cookie === 0 ||
      rules.length > 0
    )
      return change;
    if (ev.kind === 'moveFrom') lastMoveFrom = { root: ev.root, path: ev.path, cookie: ev.cookie };
    else if (
      ev.kind === 'moveTo' &&
      prev !== null &&
      prev.root === ev.root &&
      prev.cookie === ev.cookie &&
      prev.path !== ev.path
    ) {
      return { ...change, renamedFrom: prev.path };
    }
    return change;
  };

  return { toChange, isExcluded };
}
