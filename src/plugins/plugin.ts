// The plugin contract (sersync's command / socket / refreshCDN / http "interfaces"): what a plugin
// receives per synced change, what it promises (never block, never throw), and shared defaults.
// Pure types + small pure helpers.

import type { PluginName } from '../config/types.js';
import { displayName, type BytePath } from '../util/byte-names.js';

/** inotify mask bits used in the http plugin's `mask=` field (linux/inotify.h values). */
export const IN_MASK = Object.freeze({
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  ISDIR: 0x40000000,
});

/** One change handed to a plugin: after its rsync ran (sersync mode) or straight from the watcher (-m). */
export interface PluginEvent {
  /** The watch root the change came from (absolute, no trailing slash except `/`). */
  readonly root: BytePath;
  /** Absolute path of the changed file or directory (raw bytes as lone surrogates). */
  readonly absPath: BytePath;
  readonly isDir: boolean;
  readonly op: 'upsert' | 'remove';
  /** inotify-style mask (IN_CLOSE_WRITE=8, IN_CREATE=256, IN_DELETE=512, IN_MOVED_FROM=64, IN_MOVED_TO=128, | IN_ISDIR). */
  readonly mask: number;
}

/** Counters of one plugin's queue (for tests, logs and a status page). */
export interface PluginStats {
  /** Events waiting (never more than the capacity). */
  readonly queued: number;
  /** 1 while a call is in flight, else 0. */
  readonly running: number;
  readonly succeeded: number;
  /** Calls that ended in a logged failure (timeouts included). */
  readonly failed: number;
  readonly timedOut: number;
  /** Events dropped because the queue was full (oldest first) or the plugin was closing. */
  readonly dropped: number;
  /** Events the plugin decided not to act on (command include filter, no matching localpath, regexurl miss). */
  readonly skipped: number;
}

/**
 * A running plugin. `notify` only enqueues: it returns at once, never throws and never waits for
 * the endpoint; delivery happens later, one call at a time, each bounded by a timeout. Failures
 * are logged with the plugin's name. No guarantee is made that an event is delivered: when the
 * queue is full the oldest waiting event is dropped (and logged).
 */
export interface Plugin {
  readonly name: PluginName;
  notify(ev: PluginEvent): void;
  /** Counters, read at call time. */
  stats(): PluginStats;
  /**
   * Stops accepting events, lets the queue drain for a grace period, then aborts the call in
   * flight and drops (and logs) the rest. Resolves when nothing is running. Idempotent.
   */
  close(): Promise<void>;
}

/** Tunables shared by every plugin (the XML has no place for them; overridable per createPlugin call). */
export const PLUGIN_DEFAULTS = Object.freeze({
  /** Events waiting per plugin before the oldest is dropped. */
  capacity: 1024,
  /** Per-call timeout, ms. The command plugin's child is killed (process group, SIGKILL) when it fires. */
  timeoutMs: Object.freeze({
    command: 30_000,
    socket: 2_000,
    refreshCDN: 2_000,
    http: 5_000,
  } satisfies Record<PluginName, number>),
  /** How long close() lets the queue drain before aborting and dropping. */
  closeGraceMs: 2_000,
  /** socket: connection attempts per destination and the pause between them (the original's 5 × 20 ms). */
  socketTries: 5,
  socketRetryGapMs: 20,
});

/** The inotify-style mask for a normalised change when the raw event kind is not known. */
export function maskFor(op: 'upsert' | 'remove', isDir: boolean): number {
  const base = op === 'remove' ? IN_MASK.DELETE : isDir ? IN_MASK.CREATE : IN_MASK.CLOSE_WRITE;
  return isDir ? base | IN_MASK.ISDIR : base;
}

/** Joins a watch root and a root-relative path into an absolute path (`/` + `a` → `/a`). */
export function joinRoot(root: string, rel: string): string {
  if (rel === '') return root;
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}

/**
 * Builds a PluginEvent from a queue `Change` (structurally: root, root-relative path, op, isDir).
 * `mask` defaults to `maskFor(op, isDir)`.
 */
export function toPluginEvent(
  change: {
    readonly root: string;
    readonly path: string;
    readonly op: 'upsert' | 'remove';
    readonly isDir: boolean;
  },
  mask: number = maskFor(change.op, change.isDir),
): PluginEvent {
  return {
    root: change.root,
    absPath: joinRoot(change.root, change.path),
    isDir: change.isDir,
    op: change.op,
    mask,
  };
}

/** Removes trailing slashes except for the root `/`. */
export function trimSlash(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? '/' : t;
}

/** True when `absPath` is `dir` itself or lies under it (path-component aware: `/a` does not contain `/ab`). */
export function isWithin(dir: string, absPath: string): boolean {
  const d = trimSlash(dir);
  if (d === '/') return absPath.startsWith('/');
  return absPath === d || absPath.startsWith(`${d}/`);
}

/**
 * A path as it appears in log lines: displayName (one line, never lossy: a raw byte is `\xfc`, a
 * newline `\n`, a backslash `\\`).
 */
export function showPath(p: BytePath): string {
  return displayName(p);
}
