// Progress of full syncs (`-r`) for the operator: on a terminal one `\r` status line on stderr
// covering every full sync that is running; otherwise a log line per sync every 10 s. Shell
// (writes to an injected stream and logger; time comes from an injected clock, no timers).
//
//   board.start(root, remote) --update(p)*--> finish()
//   TTY:     each update redraws `\r<line>\x1b[K`; the last finish() ends the line with `\n`;
//            a log line to the terminal meanwhile clears it first (`terminalLine`, called by
//            the logger) and the next update draws it again
//   not TTY: an update logs `full sync of ROOT -> REMOTE: N files, M MiB so far` when 10 s have
//            passed since that sync started or last logged; finish() writes nothing (the runner
//            logs the result line)
import type { Logger } from '../log.js';
import { terminalLine } from '../util/terminal-line.js';
import { systemClock, type Clock } from '../util/clock.js';

/**
 * What the rsync worker reports during a full sync: items rsync transferred so far (its
 * `--out-format` lines, directories and deletions not counted) and the sum of their lengths
 * (`%l`, the file size, not the bytes on the wire). Files rsync skips as up to date are not counted.
 */
export interface SyncProgress {
  readonly files: number;
  readonly bytes: number;
}

/** The stream the TTY line goes to (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width; the line is cut to fit so `\r` redraws stay on one row. */
  readonly columns?: number;
}

export interface ProgressBoardOptions {
  /** Receives the periodic lines when `stream` is not a terminal. */
  readonly logger: Pick<Logger, 'info'>;
  /** Default process.stderr. */
  readonly stream?: ProgressStream;
  /** Default the system clock. Only `now()` is used. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Log interval when not a terminal. Default 10 000 ms. */
  readonly logEveryMs?: number;
}

/** One full sync on the board; `update` is meant to be passed as the runner's `onProgress`. */
export interface ProgressSink {
  readonly update: (p: SyncProgress) => void;
  /** The sync ended (whatever its outcome). Idempotent; updates after it are ignored. */
  readonly finish: () => void;
}

export interface ProgressBoard {
  /** Registers a full sync of `root` to `remote` (the label used in log lines, e.g. `127.0.0.1::mod`). */
  start(root: string, remote: string): ProgressSink;
}

/** `12.3` (MiB, one decimal). Pure. */
export function formatMiB(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** `12.3 MiB`; `40.0 KiB` below 0.1 MiB (where MiB would read 0.0); `22 B` below 1 KiB. Pure. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return bytes < 0.1 * 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${formatMiB(bytes)} MiB`;
}

/** `full sync of ROOT -> REMOTE: N files, 1.2 MiB`. Pure. */
export function describeProgress(root: string, remote: string, p: SyncProgress): string {
  return `full sync of ${root} -> ${remote}: ${p.files} ${p.files === 1 ? 'file' : 'files'}, ${formatSize(p.bytes)}`;
}

export { terminalLine } from '../util/terminal-line.js';

interface Row {
  readonly root: string;
  readonly remote: string;
  progress: SyncProgress;
  lastLogAt: number;
}

/** Creates the board the daemon shares between all full syncs of one `-r` start. */
export function createProgressBoard(opts: ProgressBoardOptions): ProgressBoard {
  const stream = opts.stream ?? process.stderr;
  const clock = opts.clock ?? systemClock;
  const logEveryMs = opts.logEveryMs ?? 10_000;
  const tty = stream.isTTY === true;
  const rows = new Set<Row>();
  let drawn = false; // a TTY line is on screen without its newline

  const draw = (final: boolean): void => {
    const text = [...rows].map((r) => describeProgress(r.root, r.remote, r.progress)).join('; ');
    const width = stream.columns ?? 0;
    const fitted = width > 1 && text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
    stream.write(`\r${fitted}\x1b[K${final ? '\n' : ''}`);
    drawn = !final;
  };
  const clear = (): void => {
    if (!drawn) return;
    stream.write('\r\x1b[K');
    drawn = false;
  };

  return {
    start(root, remote) {
      const row: Row = { root, remote, progress: { files: 0, bytes: 0 }, lastLogAt: clock.now() };
      let done = false;
      rows.add(row);
      if (tty) terminalLine.set(clear);
      return {
        update: (p) => {
          if (done) return;
          row.progress = { files: p.files, bytes: p.bytes };
          if (tty) {
            draw(false);
            return;
          }
          const now = clock.now();
          if (now - row.lastLogAt >= logEveryMs) {
            row.lastLogAt = now;
            opts.logger.info(`${describeProgress(root, remote, row.progress)} so far`);
          }
        },
        finish: () => {
          if (done) return;
          done = true;
          // On a terminal the last state stays visible: the line is ended once no sync is left.
          if (tty && drawn && rows.size === 1) draw(true);
          rows.delete(row);
          if (rows.size === 0 && terminalLine.is(clear)) terminalLine.set(undefined);
        },
      };
    },
  };
}
