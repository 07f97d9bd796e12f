// Which kernel bits the inotify backend asks for, and which FsEventKind each simple bit means.
// Used by inotify-watcher.ts. Pure.
import type { FsEventKind } from './fs-event.js';
import type { InotifyBinding } from './native-binding.js';

type Constants = InotifyBinding['constants'];

/** The simple kernel bits, in the order they are reported when a record carries several. */
const SIMPLE_KINDS: readonly (readonly [keyof Constants, FsEventKind])[] = [
  ['IN_CREATE', 'create'],
  ['IN_MODIFY', 'modify'],
  ['IN_ATTRIB', 'attrib'],
  ['IN_CLOSE_WRITE', 'closeWrite'],
  ['IN_DELETE', 'delete'],
];

/** SIMPLE_KINDS with the bits resolved. */
export function simpleKinds(c: Constants): readonly (readonly [number, FsEventKind])[] {
  return SIMPLE_KINDS.map(([bit, kind]) => [c[bit], kind] as const);
}

/**
 * The watch mask: everything the tree's bookkeeping or a wanted kind needs. The <inotify>
 * switches are applied downstream (filter.ts), and the whole tree is watched even when
 * createFolder is off so nothing goes blind. Only IN_MODIFY and IN_ATTRIB, which nothing here
 * needs, are left to their switches.
 */
export function watchMask(c: Constants, unwantedKinds: readonly FsEventKind[] = []): number {
  const unwanted = new Set(unwantedKinds);
  return (
    c.IN_CREATE |
    c.IN_CLOSE_WRITE |
    c.IN_DELETE |
    c.IN_MOVED_FROM |
    c.IN_MOVED_TO |
    c.IN_DELETE_SELF |
    c.IN_MOVE_SELF |
    c.IN_ONLYDIR |
    c.IN_DONT_FOLLOW |
    c.IN_EXCL_UNLINK |
    (unwanted.has('modify') ? 0 : c.IN_MODIFY) |
    (unwanted.has('attrib') ? 0 : c.IN_ATTRIB)
  );
}
