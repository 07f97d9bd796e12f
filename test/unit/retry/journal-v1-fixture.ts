// A journal file of format 1 (SSYNCJ1, the release before names were bytes), as that release's
// encoder wrote it, and the records it holds. Pure data.
import type { JournalRecord } from '../../../src/retry/journal-codec.js';

/**
 * A whole journal file written by format 1's encoder (the release before names were bytes),
 * produced by encodeRecords of that release: hostile UTF-8 names, a done, a subtree done, a
 * pending without op/isDir. It must still replay (test/integration/journal.test.ts opens it too).
 */
export const V1_FILE = Buffer.from(
  'U1NZTkNKMQrXHQAAAPOk4FQBBRIAAAAvc3J2L2l0J3MgInJvb3QiADBhLnR4dNcjAAAAxCtpgwEFEgAAAC9zcnYvaXQncyAicm9vdCIAMGRpci9ubApuYW1l1y4AAABxXzdOAQUSAAAAL3Nydi9pdCdzICJyb290IgAwJCh0b3VjaCBQV05FRF9zdWIpLnR4dNccAAAAL2HBWAEPEgAAAC9zcnYvaXQncyAicm9vdCIAMGdvbmXXIQAAACKUHzABBQoAAAAvc3J2L3d3dwAx5Lit5paHIOaWh+S7ti50eHTXGgAAABTmO7wBBQoAAAAvc3J2L3d3dwAxw7wg8J+Zgu+7v9cdAAAA9saK9gIAEgAAAC9zcnYvaXQncyAicm9vdCIAMGEudHh01xoAAABZhrYOAQ0KAAAAL3Nydi93d3cAMXN5bmNlZC9kaXLXHAAAAJfcdOkBBQoAAAAvc3J2L3d3dwAxc3luY2VkL2Rpci941xYAAABTlJMeAhAKAAAAL3Nydi93d3cAMXN5bmNlZNcWAAAAibFPcAEACgAAAC9zcnYvd3d3ADFsZWdhY3k=',
  'base64',
);
const V1_KEY0 = '/srv/it\'s "root"\u00000';
const V1_KEY1 = '/srv/www\u00001';
/** What V1_FILE holds, record by record. */
export const V1_RECORDS: readonly JournalRecord[] = [
  { kind: 'pending', targetKey: V1_KEY0, path: 'a.txt', op: 'upsert', isDir: false },
  { kind: 'pending', targetKey: V1_KEY0, path: 'dir/nl\nname', op: 'upsert', isDir: false },
  {
    kind: 'pending',
    targetKey: V1_KEY0,
    path: '$(touch PWNED_sub).txt',
    op: 'upsert',
    isDir: false,
  },
  { kind: 'pending', targetKey: V1_KEY0, path: 'gone', op: 'remove', isDir: true },
  { kind: 'pending', targetKey: V1_KEY1, path: '中文 文件.txt', op: 'upsert', isDir: false },
  { kind: 'pending', targetKey: V1_KEY1, path: 'ü 🙂\uFEFF', op: 'upsert', isDir: false },
  { kind: 'done', targetKey: V1_KEY0, path: 'a.txt' },
  { kind: 'pending', targetKey: V1_KEY1, path: 'synced/dir', op: 'upsert', isDir: true },
  { kind: 'pending', targetKey: V1_KEY1, path: 'synced/dir/x', op: 'upsert', isDir: false },
  { kind: 'done', targetKey: V1_KEY1, path: 'synced', subtree: true },
  { kind: 'pending', targetKey: V1_KEY1, path: 'legacy' },
];
