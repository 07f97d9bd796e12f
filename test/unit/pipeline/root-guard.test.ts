// The root guard's verdict, one row per rule (docs/reliability.md "Root guard"): what the last
// successful sync recorded against what the root looks like now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  devName,
  judgeRoot,
  maxDeleteFor,
  realtimeRecord,
  recordOf,
  shareRecovered,
  type RefusalKind,
  type RootLook,
  type RootRecord,
} from '../../../src/pipeline/root-guard.js';

const ROOT = '/srv/www';
const AT = '2026-12-01T10:00:00.000Z';
/** /srv/www on its own disk (8:17), mounted on / (254:0). */
const MOUNTED: RootLook = { kind: 'dir', dev: 2065, ino: 2, parentDev: 65024, hasEntries: true };
/** The mount point directory itself, disk not mounted: on / and empty. */
const UNMOUNTED: RootLook = {
  kind: 'dir',
  dev: 65024,
  ino: 4711,
  parentDev: 65024,
  hasEntries: false,
};
const rec = (o: Partial<RootRecord> = {}): RootRecord => ({
  ...{ dev: 2065, mountPoint: true, nonEmpty: true, entries: 60, at: AT },
  ...o,
});
const look = (o: Partial<Extract<RootLook, { kind: 'dir' }>>): RootLook => ({
  ...MOUNTED,
  ...o,
});

const rows: {
  rule: string;
  record?: RootRecord;
  look: RootLook;
  refused?: RefusalKind;
  says?: RegExp;
}[] = [
  {
    rule: 'missing root',
    record: rec(),
    look: { kind: 'missing', detail: 'does not exist' },
    refused: 'missing',
    says: /\/srv\/www does not exist/,
  },
  {
    rule: 'missing root, never recorded',
    look: { kind: 'missing', detail: 'is not a directory' },
    refused: 'missing',
  },
  {
    rule: 'the unmounted mount point: empty, other device, no mount point',
    record: rec(),
    look: UNMOUNTED,
    refused: 'empty',
    says: /is empty, but the last successful sync \(2026-12-01T10:00:00.000Z\) saw 60 entries \(a disk not mounted\?\)/,
  },
  {
    rule: 'empty, record without a count',
    record: rec({ entries: null }),
    look: look({ hasEntries: false }),
    refused: 'empty',
    says: /saw entries in it/,
  },
  {
    rule: 'empty and never recorded (first run, or an upgrade)',
    look: UNMOUNTED,
    refused: 'empty',
    says: /no successful sync has recorded it yet/,
  },
  {
    rule: 'empty, and the last sync saw it empty',
    record: rec({ nonEmpty: false, entries: 0 }),
    look: UNMOUNTED,
  },
  { rule: 'the mounted disk, as recorded', record: rec(), look: MOUNTED },
  { rule: 'never recorded, with entries', look: MOUNTED },
  {
    rule: 'another disk mounted there',
    record: rec(),
    look: look({ dev: 2081 }),
    refused: 'device',
    says: /on device 8:33, but the last successful sync .* saw device 8:17/,
  },
  {
    rule: 'no longer a mount point (the files were copied under the mount point)',
    record: rec(),
    look: look({ dev: 65024 }),
    refused: 'mount',
    says: /no longer a mount point/,
  },
  {
    rule: 'became a mount point',
    record: rec({ dev: 65024, mountPoint: false }),
    look: MOUNTED,
    refused: 'mount',
    says: /became a mount point/,
  },
  {
    rule: 'a recorded empty root protects nothing: another device is fine',
    record: rec({ nonEmpty: false, entries: 0, dev: 65024, mountPoint: false }),
    look: MOUNTED,
  },
  {
    rule: 'a stop by --max-delete is remembered',
    record: rec({ stopped: 'stopped at 30' }),
    look: MOUNTED,
    refused: 'share',
    says: /^stopped at 30$/,
  },
  {
    rule: 'an empty root says empty even when stopped',
    record: rec({ stopped: 'x' }),
    look: UNMOUNTED,
    refused: 'empty',
  },
];

for (const r of rows)
  test(`judgeRoot: ${r.rule} -> ${r.refused === undefined ? 'ok' : `refused (${r.refused})`}`, () => {
    const v = judgeRoot(ROOT, r.record, r.look);
    if (r.refused === undefined) {
      assert.deepEqual(v, { ok: true });
      return;
    }
    assert.equal(v.ok, false);
    assert.equal(v.kind, r.refused);
    if (r.says) assert.match(v.reason, r.says);
  });

test('"/" is a mount point (its parent is itself)', () => {
  const slash: RootLook = { kind: 'dir', dev: 65024, ino: 2, parentDev: 65024, hasEntries: true };
  assert.equal(recordOf('/', slash, 5, AT).mountPoint, true);
  assert.deepEqual(judgeRoot('/', rec({ dev: 65024 }), slash), { ok: true });
});

test('maxDeleteFor: the share of the counted entries, at least 100; none without a count or at 100 %', () => {
  assert.equal(maxDeleteFor(rec({ entries: 1000 }), 50), 500);
  assert.equal(maxDeleteFor(rec({ entries: 999 }), 10), 100);
  assert.equal(maxDeleteFor(rec({ entries: 5001 }), 10), 500);
  assert.equal(maxDeleteFor(rec(), 50), 100, 'a small tree: the floor');
  assert.equal(maxDeleteFor(rec({ entries: 0 }), 10), 100);
  assert.equal(maxDeleteFor(rec({ entries: null }), 50), undefined);
  assert.equal(maxDeleteFor(undefined, 50), undefined);
  assert.equal(maxDeleteFor(rec(), 100), undefined);
});

test('shareRecovered: enough entries again (the recorded count minus the limit)', () => {
  const big = rec({ entries: 1000 });
  assert.equal(shareRecovered(big, 499, 50), false);
  assert.equal(shareRecovered(big, 500, 50), true);
  assert.equal(shareRecovered(big, null, 50), false);
  assert.equal(shareRecovered(rec(), 0, 50), true, '60 entries, limit 100');
});

test('recordOf: what a successful full sync leaves', () => {
  assert.deepEqual(recordOf(ROOT, MOUNTED, 60, AT), rec());
});

test('realtimeRecord: only the first record, or an empty record filling up on the same device', () => {
  assert.deepEqual(realtimeRecord(ROOT, undefined, MOUNTED, AT), rec({ entries: null }));
  assert.equal(realtimeRecord(ROOT, undefined, UNMOUNTED, AT), undefined, 'never an empty root');
  assert.equal(realtimeRecord(ROOT, rec(), MOUNTED, AT), undefined, 'a record is never replaced');
  assert.equal(
    realtimeRecord(ROOT, rec(), look({ dev: 2081 }), AT),
    undefined,
    'another disk is never blessed by a realtime batch',
  );
  const empty = rec({ nonEmpty: false, entries: 0, at: 'then' });
  assert.deepEqual(realtimeRecord(ROOT, empty, MOUNTED, AT), { ...empty, nonEmpty: true, at: AT });
  assert.equal(realtimeRecord(ROOT, empty, look({ dev: 2081 }), AT), undefined);
  assert.equal(realtimeRecord(ROOT, rec(), { kind: 'missing', detail: 'x' }, AT), undefined);
});

test('devName: major:minor as stat -c %D and mountinfo show it', () => {
  assert.equal(devName(65024), '254:0');
  assert.equal(devName(2065), '8:17');
  assert.equal(devName(0x100002), '0:258'); // a minor above 255
  assert.equal(devName(39), '0:39');
});
