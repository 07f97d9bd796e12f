// The journal's file operations: the state directory's checks, replay of the file into a
// JournalState, the append of a batch and the crash-safe replacement that compaction uses (tmp,
// fsync, rename, fsync the directory). Shell: every function here does I/O and nothing else.
import { constants } from 'node:fs';
import { chmod, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { fsPath } from '../util/byte-names.js';
import { err, ok, type Result } from '../util/result.js';
import { privateDirProblem } from '../util/safe-fs.js';
import {
  checkHeader,
  JOURNAL_HEADER,
  JournalDecoder,
  type JournalRecord,
} from './journal-codec.js';
import { asError } from './journal-flush.js';
import type { JournalState } from './journal-state.js';

const READ_CHUNK = 1 << 20;

/** Writes all of `data` at the end of `fh` (O_APPEND); on failure says how much was written. */
export async function writeAll(
  fh: FileHandle,
  data: Uint8Array,
): Promise<{ written: number; error?: Error }> {
  let written = 0;
  try {
    while (written < data.length) written += (await fh.write(data, written)).bytesWritten;
    return { written };
  } catch (e) {
    return { written, error: asError(e) };
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(fsPath(dir), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `bytes` to a new `<file>.tmp` (0600, O_APPEND), fsyncs it, renames it over `file`, fsyncs
 * the dir, and returns the still open handle: it IS the journal now, so there is no reopen that
 * could fail after the rename. A failed directory fsync is only reported (the rename happened).
 */
export async function replaceFile(
  dir: string,
  file: string,
  bytes: Uint8Array,
  onError: (e: Error) => void,
): Promise<FileHandle> {
  const tmp = `${file}.tmp`;
  await unlink(fsPath(tmp)).catch(() => undefined); // left over from a crash during compaction
  const fh = await open(fsPath(tmp), 'ax', 0o600);
  try {
    const r = await writeAll(fh, bytes);
    if (r.error !== undefined) throw r.error;
    await fh.datasync();
    await rename(fsPath(tmp), fsPath(file));
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(fsPath(tmp)).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir).catch((e: unknown) => {
    onError(asError(e));
  });
  return fh;
}

/** Reads the journal file into `state`. Returns its size and whether anything in it was dead (or it is format 1). */
export async function replay(
  file: string,
  state: JournalState,
): Promise<Result<{ size: number; dead: boolean }, string>> {
  let fh: FileHandle;
  try {
    fh = await open(fsPath(file), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok({ size: 0, dead: true });
    throw e;
  }
  try {
    const head = new Uint8Array(JOURNAL_HEADER.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const header = checkHeader(head.subarray(0, bytesRead));
    if (header === 'foreign')
      return err(
        "does not start with the sersync journal header (another program's file, or a newer format); move it away",
      );
    if (header === 'empty') return ok({ size: bytesRead, dead: true });
    // Both headers are 8 bytes. A format-1 file is read as such and counts as dead: it is
    // rewritten in the current format before anything is appended (never two formats in one file).
    const decoder = new JournalDecoder(header === 'v1' ? 1 : 2);
    const buf = new Uint8Array(READ_CHUNK);
    let size = bytesRead;
    const feed = (rs: JournalRecord[]): void => {
      for (const r of rs) state.apply(r);
    };
    for (;;) {
      const n = (await fh.read(buf, 0, buf.length, size)).bytesRead;
      if (n === 0) break;
      size += n;
      feed(decoder.push(buf.subarray(0, n)));
    }
    feed(decoder.finish());
    // Dead: garbage (a torn tail must be cut before appending) or superseded records.
    const dead =
      header === 'v1' || decoder.garbageBytes > 0 || size > JOURNAL_HEADER.length + state.liveBytes;
    return ok({ size, dead });
  } finally {
    await fh.close();
  }
}

/** Creates the state dir (0700) if needed and checks it is ours, never through a link (safe-fs.ts). */
export async function prepareDir(dir: string): Promise<string | undefined> {
  return Promise.resolve(privateDirProblem(dir));
}

/** Opens the existing, live journal for appending (narrowing its mode to 0600). */
export async function openForAppend(file: string): Promise<FileHandle> {
  await chmod(fsPath(file), 0o600);
  return open(fsPath(file), 'a', 0o600);
}
