// Records what a watcher backend reports, for the watcher integration tests (one per backend).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FsEvent,
  FsEventKind,
  RescanReason,
  WatcherCallbacks,
} from '../../src/watch/fs-event.js';
import { eventually } from './eventually.js';

export class Recorder {
  readonly events: FsEvent[] = [];
  readonly rescans: { root: string; reason: RescanReason; detail: string }[] = [];
  readonly warnings: string[] = [];
  readonly cb: WatcherCallbacks = {
    onEvents: (evs) => this.events.push(...evs),
    onRescan: (root, reason, detail) => this.rescans.push({ root, reason, detail }),
    onWarning: (m) => this.warnings.push(m),
  };
  /** @param barrierKind the event kind a barrier file's write produces with this backend. */
  constructor(private readonly barrierKind: FsEventKind | undefined) {}
  find(kind: FsEventKind | undefined, path: string): FsEvent | undefined {
    return this.events.find((e) => e.path === path && (kind === undefined || e.kind === kind));
  }
  async waitFor(kind: FsEventKind | undefined, path: string, timeoutMs = 5000): Promise<FsEvent> {
    return eventually(() => this.find(kind, path), {
      what: `${kind ?? 'any'} ${JSON.stringify(path)}`,
      timeoutMs,
    });
  }
  /**
   * Writes a marker file and waits for it. inotify: every earlier kernel event has been delivered
   * by then; parcel sorts a batch by path, so there it only orders batches.
   */
  async barrier(root: string, name = `.barrier-${String(Math.random()).slice(2)}`): Promise<void> {
    writeFileSync(join(root, name), 'm');
    await this.waitFor(this.barrierKind, name);
  }
}
