// The root guard's verdict: may a full sync carrying `--delete` run from this watch root now, or
// does the root look unmounted (issue 14.1)? It compares what the last successful full sync
// recorded for the root with what the root looks like now. Pure (the looks come from
// root-probe.ts, the records from root-records.ts).
//
//   look \ record      none                    nonEmpty: false         nonEmpty: true
//   missing            refuse (missing)        refuse (missing)        refuse (missing)
//   empty              refuse (empty, first)   ok                      refuse (empty)
//   entries, same dev  ok                      ok                      ok (mount point flip: refuse)
//   entries, other dev ok                      ok                      refuse (device)
//   a full sync stopped by --max-delete since (record.stopped): refuse (share)
//
// A record of an empty root protects nothing (a sync from it left nothing on the target worth
// guarding), so only a record that saw entries refuses a device or mount-point change.

/** What the last successful full sync (or the first successful realtime batch) saw of the root. */
export interface RootRecord {
  /** st_dev of the root directory. */
  readonly dev: number;
  /** The root was a mount point (its st_dev differed from its parent's). */
  readonly mountPoint: boolean;
  /** The root held at least one entry. */
  readonly nonEmpty: boolean;
  /**
   * Entries below the root (files, directories, links; `<filter>` excludes not counted) when the
   * last successful full sync started; null when not counted (a record made by a realtime batch).
   */
  readonly entries: number | null;
  /** ISO-8601 time of the sync that wrote it (for the operator). */
  readonly at: string;
  /**
   * Set when a later full sync was stopped by `--max-delete` (rsync exit 25): why. Its full syncs
   * are refused until the root holds enough entries again (shareRecovered) or an override.
   */
  readonly stopped?: string;
}

/** What the root looks like now (root-probe.ts lookAt). */
export type RootLook =
  | {
      readonly kind: 'missing';
      /** Why it is not a usable directory: `does not exist`, `is not a directory`, `EACCES`… */
      readonly detail: string;
    }
  | {
      readonly kind: 'dir';
      readonly dev: number;
      readonly ino: number;
      /** st_dev of `ROOT/..` (the same as `dev` unless the root is a mount point). */
      readonly parentDev: number;
      /** The root has at least one entry (dot files included). */
      readonly hasEntries: boolean;
    };

export type RefusalKind = 'missing' | 'empty' | 'device' | 'mount' | 'share';

export type GuardVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string };

/** The root is a mount point: its device differs from its parent's (`/` counts as one). */
export function isMountPoint(look: Extract<RootLook, { kind: 'dir' }>, root: string): boolean {
  return root === '/' || look.dev !== look.parentDev;
}

const refuse = (kind: RefusalKind, reason: string): GuardVerdict => ({ ok: false, kind, reason });

/**
 * ok, or why a full sync with `--delete` from `root` must not run now. `record` is undefined
 * when no sync has recorded the root yet (a first run, or an upgrade from a release without
 * records).
 */
export function judgeRoot(
  root: string,
  record: RootRecord | undefined,
  look: RootLook,
): GuardVerdict {
  if (look.kind === 'missing') return refuse('missing', `${root} ${look.detail}`);
  if (!look.hasEntries) {
    if (record === undefined)
      return refuse(
        'empty',
        `${root} is empty and no successful sync has recorded it yet (a disk not mounted yet?)`,
      );
    if (record.nonEmpty)
      return refuse(
        'empty',
        `${root} is empty, but the last successful sync (${record.at}) saw ${record.entries === null ? 'entries in it' : `${record.entries} entries`} (a disk not mounted?)`,
      );
    return { ok: true };
  }
  if (record === undefined || !record.nonEmpty) return { ok: true };
  const mount = isMountPoint(look, root);
  if (mount !== record.mountPoint)
    return refuse(
      'mount',
      mount
        ? `${root} became a mount point since the last successful sync (${record.at}): another file system is mounted on it`
        : `${root} is no longer a mount point since the last successful sync (${record.at}): its file system is not mounted`,
    );
  if (look.dev !== record.dev)
    return refuse(
      'device',
      `${root} is on device ${devName(look.dev)}, but the last successful sync (${record.at}) saw device ${devName(record.dev)} (another disk mounted?)`,
    );
  if (record.stopped !== undefined) return refuse('share', record.stopped);
  return { ok: true };
}

/**
 * After a stop by `--max-delete`: true when the root holds `entries` again, no fewer than the
 * recorded count minus the limit (the deletions a full sync would make are within the share).
 */
export function shareRecovered(
  record: RootRecord,
  entries: number | null,
  percent: number,
): boolean {
  if (entries === null) return false;
  const limit = maxDeleteFor(record, percent);
  return limit === undefined || record.entries === null || entries >= record.entries - limit;
}

/**
 * The `--max-delete` limit of a full sync: `percent` % of the entries the last successful full
 * sync counted (at least MIN_MAX_DELETE), or undefined when there is no count or `percent` is 100 (no limit).
 */
export function maxDeleteFor(record: RootRecord | undefined, percent: number): number | undefined {
  if (percent >= 100 || record?.entries === undefined || record.entries === null) return undefined;
  return Math.max(MIN_MAX_DELETE, Math.floor((record.entries * percent) / 100));
}

/**
 * The `--max-delete` limit is never below this: in a small tree an ordinary change made while the
 * service was stopped (a directory renamed) is a large share, and the emptiness rule already
 * guards a small tree that is not mounted.
 */
export const MIN_MAX_DELETE = 100;

/** The record a successful full sync leaves (`entries` counted when it started, null if not). */
export function recordOf(
  root: string,
  look: Extract<RootLook, { kind: 'dir' }>,
  entries: number | null,
  at: string,
): RootRecord {
  return {
    dev: look.dev,
    mountPoint: isMountPoint(look, root),
    nonEmpty: look.hasEntries,
    entries,
    at,
  };
}

/**
 * After a successful realtime batch: the record to write, or undefined to keep the current one.
 * A realtime batch never replaces a record (it does not prove that the whole tree is the right
 * one); it only creates the first record of a root that was never fully synced, or marks a
 * recorded empty root as holding entries on the same device.
 */
export function realtimeRecord(
  root: string,
  record: RootRecord | undefined,
  look: RootLook,
  at: string,
): RootRecord | undefined {
  if (look.kind !== 'dir' || !look.hasEntries) return undefined;
  if (record === undefined) return recordOf(root, look, null, at);
  if (record.nonEmpty || record.dev !== look.dev || record.mountPoint !== isMountPoint(look, root))
    return undefined;
  return { ...record, nonEmpty: true, at };
}

/** `major:minor` of a Linux st_dev, as /proc/self/mountinfo and `stat -c %D` users read it. */
export function devName(dev: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
  return `${major}:${minor}`;
}
