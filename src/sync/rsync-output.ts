// Reading rsync's output: item lines of `--out-format` (`%o %l %n`, argv.ts OUT_FORMAT),
// split into lines across chunks, tallied, and the paths named in error lines (the transfer's
// root as `.`), and the stderr line that says what went wrong (rsync-cause.ts). Pure.
//
// Names are bytes: lines are split on the byte `\n` and decoded losslessly (decodeName; rsync
// escapes a newline in a name as `\#012`, so a line is never split inside one), and the names in
// them are rsync's text with `\#ooo` escapes, decoded to BytePaths (rsyncUnescape), so per-file
// results and failed paths compare equal to the paths that were queued.
import { decodeName, type BytePath } from '../util/byte-names.js';
import { failedPathOf, rsyncUnescape } from './exit-policy.js';
import { errorLinePicker } from './rsync-cause.js';

/** An out-format item line: `%o %l %n` (OUT_FORMAT). Directories end in `/`. */
const ITEM = /^(send|recv|del\.) /;
const ITEM_WITH_LENGTH = /^(send|recv|del\.) (\d+) (.*)$/;
const MAX_FAILED_PATHS = 10_000;
/** An error line that quotes a path: when the path is the transfer's root it is named `.`. */
const QUOTED_PATH = /^rsync: .*?"(.*)"/;

/** One parsed item line. */
export interface Item {
  readonly op: 'send' | 'recv' | 'del.';
  /** The name as a BytePath (rsync's escapes decoded). */
  readonly name: BytePath;
  /** `%l`, the file's length. */
  readonly length: number;
}

/** The item an out-format line reports, or null for any other line (an error, a warning). */
export function parseItem(line: string): Item | null {
  const m = ITEM_WITH_LENGTH.exec(line);
  if (m === null) return ITEM.test(line) ? { op: opOf(line), name: '', length: 0 } : null;
  return { op: m[1] as Item['op'], name: rsyncUnescape(m[3] ?? ''), length: Number(m[2]) };
}

function opOf(line: string): Item['op'] {
  return line.startsWith('send') ? 'send' : line.startsWith('recv') ? 'recv' : 'del.';
}

/** Whether `item` is a transferred file (counted by progress and bytes): not a deletion, not a directory. */
export function isTransferredFile(item: Item): boolean {
  return item.op !== 'del.' && item.name !== '' && !item.name.endsWith('/');
}

/**
 * Calls `onLine` for each complete line of a byte stream, decoded losslessly (decodeName: invalid
 * UTF-8, as rsync prints with -8, stays bytes); the rest is flushed at the end. Lines are cut on
 * bytes, so a chunk boundary inside a multi-byte character costs nothing.
 */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer): void;
  end(): void;
} {
  let carry: Buffer | undefined;
  return {
    push(chunk) {
      const cut = chunk.lastIndexOf(0x0a);
      if (cut < 0) {
        carry = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
        return;
      }
      const head = chunk.subarray(0, cut);
      const whole = carry === undefined ? head : Buffer.concat([carry, head]);
      carry = cut + 1 < chunk.length ? chunk.subarray(cut + 1) : undefined;
      decodeName(whole).split('\n').forEach(onLine);
    },
    end() {
      if (carry !== undefined && carry.length > 0) onLine(decodeName(carry));
      carry = undefined;
    },
  };
}

/**
 * The path an rsync error line names (relative to `cwd`), `.` for the transfer's root (which
 * failedPathOf leaves out), so "a problem with the root only" differs from "no path named".
 */
export function namedPath(line: string, cwd: BytePath): BytePath | undefined {
  return failedPathOf(line, cwd) ?? (QUOTED_PATH.test(line) ? '.' : undefined);
}

/** The facts of one run read from its output lines: items, transferred files and bytes, failed paths. */
export interface OutputTally {
  /** Feeds one stdout line; returns the item it reported (or null). */
  stdout(line: string): Item | null;
  /** Feeds one stderr line. */
  readonly stderr: (line: string) => void;
  readonly items: number;
  readonly files: number;
  readonly bytes: number;
  failedPaths(): string[];
  /** The stderr line saying what went wrong: a known cause's, else the first meaningful one. */
  errorLine(): string | undefined;
}

/** A tally for a run in `cwd` (OUT_FORMAT output). */
export function outputTally(cwd: BytePath): OutputTally {
  let items = 0;
  let files = 0;
  let bytes = 0;
  const failed = new Set<string>();
  const picker = errorLinePicker();
  const onError = (line: string): void => {
    const p = namedPath(line, cwd);
    if (p !== undefined && failed.size < MAX_FAILED_PATHS) failed.add(p);
  };
  return {
    stdout(line) {
      const item = parseItem(line);
      if (item === null) {
        onError(line);
        return null;
      }
      items++;
      if (isTransferredFile(item)) {
        files++;
        bytes += item.length;
      }
      return item;
    },
    stderr: (line) => {
      picker.push(line);
      onError(line);
    },
    get items() {
      return items;
    },
    get files() {
      return files;
    },
    get bytes() {
      return bytes;
    },
    failedPaths: () => [...failed],
    errorLine: picker.line,
  };
}
