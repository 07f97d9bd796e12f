// Keeps each watch root honest (issues 13.6 and 14.1): a root that is missing is waited for
// (polled on the Clock: mounting a disk makes no inotify event), watched when it appears and
// caught up by a full sync; a root that vanishes or is mounted over is unwatched and watched
// again; and no full sync carrying `--delete` (nor the replay of what the last run left) runs
// from a root the guard refuses (root-guard.ts). Shell.
//
//   waiting --appears (poll)--> watching --vanishes (root-lost, poll)--> waiting
//      ^                           | another dir or file system there (poll): watched again
//   full sync asked ──▶ held ──guard ok──▶ scheduler (addFull)
//                         └──refused──▶ error logged, /healthz 503, re-checked every poll
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RootState } from '../status/report.js';
import type { Clock } from '../util/clock.js';
import { err, ok, type Result } from '../util/result.js';
import type { WatchStartFailure } from '../watch/create-watcher.js';
import { judgeRoot, maxDeleteFor, type GuardVerdict, type RootLook } from './root-guard.js';
import type { RootRecords } from './root-records.js';
import type { RootWatches } from './root-watches.js';
import { createShareStops, type ShareStops } from './share-stop.js';

/** How often a waiting root, a refused full sync and the identity of a watched root are checked. */
export const ROOT_POLL_MS = 5_000;

export interface RootKeeperOptions {
  readonly config: Config;
  readonly roots: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly watches: RootWatches;
  readonly records: RootRecords;
  readonly lookAt: (root: string) => RootLook;
  /** Queues a full sync of `root` in the scheduler. */
  readonly addFull: (root: string) => void;
  /** Queues what the last run left unsynced under `root` (journal, fail log); once per root. */
  readonly replay: (root: string) => void;
  /** Whether the last run left anything unsynced under `root`. */
  readonly hasLeftovers: (root: string) => boolean;
  /** Entries below the root (null when they cannot be counted): the recovery after a stop by `--max-delete`. */
  readonly countEntries: (root: string) => Promise<number | null>;
  /** `--accept-roots`: the first full sync of each root skips the guard and records the root anew. */
  readonly accept: boolean;
  readonly pollMs?: number;
}

interface Slot {
  readonly root: string;
  /** The directory being watched (its identity), or undefined while waiting. */
  watched: { dev: number; ino: number } | undefined;
  /** Why the root is not watched (undefined while watched). */
  waiting: string | undefined;
  /** A full sync was asked and waits for the guard. */
  held: boolean;
  refusal: string | undefined;
  replayed: boolean;
  accept: boolean;
  busy: boolean;
  again: boolean;
  /** The last problem logged, so each is logged once. */
  logged: string | undefined;
}

const newSlot = (root: string, accept: boolean): Slot => ({
  ...{ root, watched: undefined, waiting: undefined, held: false, refusal: undefined },
  ...{ replayed: false, accept, busy: false, again: false, logged: undefined },
});

/** The roots of one pipeline (see the chart at the top). */
export class RootKeeper {
  readonly #o: RootKeeperOptions;
  readonly #log: Logger;
  readonly #slots: Map<string, Slot>;
  readonly #guardOn: boolean;
  readonly #pollMs: number;
  readonly #percent: number;
  readonly #share: ShareStops;
  #armed = false;
  #cancelPoll = (): void => undefined;

  constructor(o: RootKeeperOptions) {
    this.#o = o;
    this.#log = o.logger;
    this.#slots = new Map(o.roots.map((root) => [root, newSlot(root, o.accept)]));
    this.#guardOn = o.config.inotify.delete && o.config.daemon.rootGuard;
    this.#pollMs = o.pollMs ?? ROOT_POLL_MS;
    this.#percent = o.config.daemon.maxDeletePercent;
    this.#share = createShareStops({ ...o, percent: this.#percent });
  }

  /** Watches every root that exists; the others wait. A watcher that cannot start is a failure. */
  async start(): Promise<Result<void, WatchStartFailure>> {
    for (const s of this.#slots.values()) {
      const look = this.#o.lookAt(s.root);
      if (look.kind === 'missing') {
        await this.#ensureWatched(s, look);
        continue;
      }
      const r = await this.#o.watches.start(s.root);
      if (!r.ok && r.error.kind !== 'root-missing') return err(r.error);
      if (r.ok) s.watched = { dev: look.dev, ino: look.ino };
      else await this.#ensureWatched(s, this.#o.lookAt(s.root));
    }
    if ([...this.#slots.values()].every((s) => s.watched === undefined)) {
      const b = await this.#o.watches.chooseBackend();
      if (!b.ok) return b;
    }
    return ok(undefined);
  }

  /** Starts the poll; each root replays and runs its asked full sync once it looks right. */
  arm(): void {
    this.#armed = true;
    this.#poll();
  }

  /** A full sync of `root` is asked (start, crontab, rescan): it runs once the guard allows it. */
  admit(root: string): void {
    const s = this.#slots.get(root);
    if (s === undefined) return;
    s.held = true;
    if (this.#armed) this.#reconcile(s);
  }

  /** The watcher lost the root (deleted, moved, unmounted): check it now. */
  lost(root: string): void {
    const s = this.#slots.get(root);
    if (s !== undefined && this.#armed) this.#reconcile(s);
  }

  /** Just before a full sync runs: ok (with the root's look), or why it must not. */
  check(root: string): { ok: true; look: RootLook } | { ok: false; reason: string } {
    const s = this.#slots.get(root);
    const look = this.#o.lookAt(root);
    if (s === undefined) return { ok: true, look };
    const v = this.#verdict(s, look);
    if (v.ok) {
      if (!s.held) s.refusal = undefined;
      return { ok: true, look };
    }
    if (v.kind === 'share')
      this.#share.recount(s.root, () => {
        this.#reconcile(s);
      });
    s.refusal = v.reason;
    return { ok: false, reason: v.reason };
  }

  /** The `--max-delete` limit for a full sync of `root`, if any. */
  maxDelete(root: string): number | undefined {
    const s = this.#slots.get(root);
    if (!this.#guardOn || s === undefined || s.accept) return undefined;
    return maxDeleteFor(this.#o.records.get(root), this.#percent);
  }

  /** A full sync of `root` succeeded: the override (if any) is used up. */
  accepted(root: string): void {
    const s = this.#slots.get(root);
    if (s !== undefined) s.accept = false;
  }

  /** A full sync of `root` to `label` was stopped by `--max-delete` (rsync exit 25). */
  stoppedByMaxDelete(root: string, label: string): void {
    const s = this.#slots.get(root);
    const why = this.#share.stopped(root, label);
    if (s !== undefined && why !== undefined) s.refusal = why;
  }

  statuses(): RootState[] {
    return [...this.#slots.values()].map((s): RootState => {
      if (s.waiting !== undefined)
        return {
          root: s.root,
          state: 'waiting',
          problem: `waiting for ${s.root} to appear (${s.waiting})`,
        };
      const problem = s.refusal === undefined ? null : `sync from ${s.root} refused: ${s.refusal}`;
      return { root: s.root, state: 'watching', problem };
    });
  }

  close(): void {
    this.#armed = false;
    this.#cancelPoll();
  }

  #poll(): void {
    if (!this.#armed) return;
    for (const s of this.#slots.values()) this.#reconcile(s);
    this.#cancelPoll = this.#o.clock.setTimeout(() => {
      this.#poll();
    }, this.#pollMs);
  }

  #once(s: Slot, line: string): void {
    if (s.logged === line) return;
    s.logged = line;
    this.#log.error(line);
  }

  #verdict(s: Slot, look: RootLook): GuardVerdict {
    if (look.kind === 'missing')
      return { ok: false, kind: 'missing', reason: `${s.root} ${look.detail}` };
    if (!this.#guardOn || s.accept) return { ok: true };
    return judgeRoot(s.root, this.#o.records.get(s.root), look);
  }

  #reconcile(s: Slot): void {
    if (s.busy) {
      s.again = true; // asked while a check runs: check again right after it
      return;
    }
    s.busy = true;
    s.again = false;
    this.#ensureWatched(s, this.#o.lookAt(s.root))
      .then((watched) => {
        if (watched) this.#release(s, this.#o.lookAt(s.root));
      })
      .catch((e: unknown) => {
        this.#log.error(`watch root ${s.root}: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        s.busy = false;
        if (s.again) this.#reconcile(s);
      });
  }

  /** Watches `s` if it is not watched, or watched on another directory; false while it cannot be. */
  async #ensureWatched(s: Slot, look: RootLook): Promise<boolean> {
    const every = `every ${this.#pollMs / 1000} s`;
    if (look.kind === 'missing') {
      if (s.watched !== undefined) {
        s.watched = undefined;
        s.held = true; // what changed while it was away is caught up when it is back
        await this.#o.watches.stop(s.root);
      }
      s.waiting = look.detail;
      this.#once(
        s,
        `watch root ${s.root} ${look.detail}: waiting for it to appear (checked ${every}); no full sync runs from it meanwhile`,
      );
      return false;
    }
    if (s.watched?.dev === look.dev && s.watched.ino === look.ino) return true;
    if (s.watched !== undefined) {
      this.#log.warn(
        `watch root ${s.root} is another directory now (something was mounted over it, or it was replaced): watching it again`,
      );
      s.watched = undefined;
      await this.#o.watches.stop(s.root);
    }
    const r = await this.#o.watches.start(s.root);
    if (!r.ok) {
      s.waiting = r.error.message;
      this.#once(s, `cannot watch ${s.root}: ${r.error.message}; trying again ${every}`);
      return false;
    }
    if (s.waiting !== undefined) this.#log.info(`watch root ${s.root} is there: watching it`);
    s.watched = { dev: look.dev, ino: look.ino };
    s.waiting = undefined;
    s.held ||= this.#armed; // appeared after the start: what it holds was never seen
    return true;
  }

  /** Lets a held full sync (and the first replay) through when the guard allows it. */
  #release(s: Slot, look: RootLook): void {
    if (!s.replayed && !this.#o.hasLeftovers(s.root)) s.replayed = true;
    if (!s.held && s.replayed) return;
    const v = this.#verdict(s, look);
    if (!v.ok) {
      if (v.kind === 'share')
        this.#share.recount(s.root, () => {
          this.#reconcile(s);
        });
      s.refusal = v.reason;
      const what = s.held ? 'full sync' : 'replay of what the last run left unsynced';
      this.#once(
        s,
        `${what} of ${s.root} refused: ${v.reason}; it waits (checked every ${this.#pollMs / 1000} s), realtime changes are still synced; to override see docs/reliability.md "Root guard"`,
      );
      return;
    }
    if (s.refusal !== undefined)
      this.#log.info(`watch root ${s.root} looks right again: the held full sync runs`);
    s.refusal = undefined;
    s.logged = undefined;
    if (!s.replayed) {
      s.replayed = true;
      this.#o.replay(s.root);
    }
    if (s.held) {
      s.held = false;
      this.#o.addFull(s.root);
    }
  }
}
