// The root guard's memory (root-guard.ts RootRecord): one small JSON file, `roots.json`, in the
// private state directory, read once when the pipeline starts and replaced atomically (never
// through a planted link, mode 0600) when a record changes. A file that cannot be read or parsed
// counts as "no record" (warned once): the guard then refuses an empty root, which is the safe
// side. Shell (file system).
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { readOwnedFile, replaceFile } from '../util/safe-fs.js';
import type { RootRecord } from './root-guard.js';

export const ROOT_RECORDS_FILE = 'roots.json';

export interface RootRecords {
  get(root: string): RootRecord | undefined;
  /** Stores the record and writes the file (a write error is logged, the record kept in memory). */
  set(root: string, record: RootRecord): void;
}

/** Opens the records of `stateDir`. */
export function openRootRecords(
  stateDir: string,
  logger: Pick<Logger, 'warn' | 'error'>,
): RootRecords {
  const file = join(stateDir, ROOT_RECORDS_FILE);
  const records = new Map<string, RootRecord>(Object.entries(readRecords(file, logger)));
  return {
    get: (root) => records.get(root),
    set(root, record) {
      records.set(root, record);
      const doc = { version: 1, roots: Object.fromEntries(records) };
      try {
        replaceFile(file, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
      } catch (e) {
        logger.error(`cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

function readRecords(file: string, logger: Pick<Logger, 'warn'>): Record<string, RootRecord> {
  const r = readOwnedFile(file);
  if (!r.ok) {
    logger.warn(
      `root records ${file} ${r.error}; ignored (the roots are checked as if never synced)`,
    );
    return {};
  }
  if (r.value === undefined) return {};
  try {
    const doc = JSON.parse(r.value.toString('utf8')) as { roots?: unknown };
    const out: Record<string, RootRecord> = {};
    if (typeof doc.roots === 'object' && doc.roots !== null)
      for (const [root, rec] of Object.entries(doc.roots as Record<string, unknown>))
        if (isRecord(rec)) out[root] = rec;
    return out;
  } catch (e) {
    logger.warn(
      `root records ${file} cannot be parsed (${e instanceof Error ? e.message : String(e)}); ignored (the roots are checked as if never synced)`,
    );
    return {};
  }
}

function isRecord(v: unknown): v is RootRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['dev'] === 'number' &&
    typeof r['mountPoint'] === 'boolean' &&
    typeof r['nonEmpty'] === 'boolean' &&
    (r['entries'] === null || typeof r['entries'] === 'number') &&
    typeof r['at'] === 'string' &&
    (r['stopped'] === undefined || typeof r['stopped'] === 'string')
  );
}
