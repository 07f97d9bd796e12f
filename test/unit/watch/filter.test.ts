// The event filter: each <inotify> switch, synthetic creates, the template's exclude expressions,
// dotfiles synced, editor scratch files skipped (and not when the option is off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, InotifySwitches } from '../../../src/config/types.js';
import { testConfig } from '../../helpers/config-fixture.js';
import { createEventFilter, isEditorScratch, unwantedKinds } from '../../../src/watch/filter.js';
import type { FsEvent, FsEventKind } from '../../../src/watch/fs-event.js';

const ROOT = '/data/www';
const TEMPLATE_EXCLUDES = ['(.*)\\.svn', '(.*)\\.gz', '^info/*', '^static/*'];
const NONE: InotifySwitches = {
  delete: false,
  createFolder: false,
  createFile: false,
  closeWrite: false,
  moveFrom: false,
  moveTo: false,
  attrib: false,
  modify: false,
};

function config(
  o: {
    switches?: Partial<InotifySwitches>;
    excludes?: string[];
    filterOn?: boolean;
    skipEditorTemp?: boolean;
  } = {},
): Config {
  return testConfig({
    roots: [ROOT],
    remotes: [{ ip: '127.0.0.1', name: 'm' }],
    ...(o.switches ? { inotify: o.switches } : {}),
    ...(o.excludes ? { excludes: o.excludes } : {}),
    ...(o.filterOn === undefined ? {} : { filterOn: o.filterOn }),
    ...(o.skipEditorTemp === undefined ? {} : { skipEditorTemp: o.skipEditorTemp }),
  });
}

const ev = (
  kind: FsEventKind,
  path: string,
  isDir = false,
  extra: Partial<FsEvent> = {},
): FsEvent => ({ kind, root: ROOT, path, isDir, ...extra });

// [kind, isDir, the one switch that must be on, expected op]
const SWITCHES: [FsEventKind, boolean, keyof InotifySwitches, 'upsert' | 'remove'][] = [
  ['create', true, 'createFolder', 'upsert'],
  ['create', false, 'createFile', 'upsert'],
  ['closeWrite', false, 'closeWrite', 'upsert'],
  ['modify', false, 'modify', 'upsert'],
  ['attrib', false, 'attrib', 'upsert'],
  ['attrib', true, 'attrib', 'upsert'],
  ['delete', false, 'delete', 'remove'],
  ['delete', true, 'delete', 'remove'],
  ['moveFrom', false, 'moveFrom', 'remove'],
  ['moveTo', false, 'moveTo', 'upsert'],
  ['moveTo', true, 'moveTo', 'upsert'],
];

for (const [kind, isDir, sw, op] of SWITCHES) {
  test(`${kind}${isDir ? ' dir' : ''}: passes only when ${sw} is on, as ${op}`, () => {
    const on = createEventFilter(config({ switches: { ...NONE, [sw]: true } }));
    const change = on.toChange(ev(kind, 'a/b', isDir));
    assert.equal(change?.op, op);
    assert.equal(change.isDir, isDir);
    assert.equal(change.root, ROOT);
    assert.equal(change.path, 'a/b');
    // Every other switch on, this one off: dropped.
    const allButThis = Object.fromEntries(
      Object.keys(NONE).map((k) => [k, k !== sw]),
    ) as unknown as InotifySwitches;
    assert.equal(
      createEventFilter(config({ switches: allButThis })).toChange(ev(kind, 'a/b', isDir)),
      null,
    );
  });
}

test('only a kernel create marks the change as created', () => {
  const f = createEventFilter(config({ switches: { createFile: true } }));
  assert.equal(f.toChange(ev('create', 'n'))?.created, true);
  assert.equal(f.toChange(ev('create', 'n', false, { synthetic: true }))?.created, undefined);
  assert.equal(f.toChange(ev('closeWrite', 'n'))?.created, undefined);
  assert.equal(f.toChange(ev('moveTo', 'n'))?.created, undefined);
});

test('only a close_write marks the change as closed (the short quiet window)', () => {
  const f = createEventFilter(
    config({
      switches: { createFile: true, closeWrite: true, modify: true, attrib: true, moveTo: true },
    }),
  );
  assert.equal(f.toChange(ev('closeWrite', 'n'))?.closed, true);
  for (const kind of ['create', 'modify', 'attrib', 'moveTo'] as const)
    assert.equal(f.toChange(ev(kind, 'n'))?.closed, undefined, kind);
});

test('synthetic creates: files count when createFile OR closeWrite is on, dirs when createFolder is on', () => {
  const syn = (isDir: boolean): FsEvent => ev('create', 'new/x', isDir, { synthetic: true });
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, closeWrite: true } })).toChange(syn(false))?.op,
    'upsert',
  );
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, createFile: true } })).toChange(syn(false))?.op,
    'upsert',
  );
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, createFolder: true, modify: true } })).toChange(
      syn(false),
    ),
    null,
  );
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, createFolder: true } })).toChange(syn(true))
      ?.op,
    'upsert',
  );
  assert.equal(
    createEventFilter(
      config({ switches: { ...NONE, closeWrite: true, createFile: true } }),
    ).toChange(syn(true)),
    null,
  );
  // A kernel file create does not get the closeWrite fallback (the close itself will come).
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, closeWrite: true } })).toChange(
      ev('create', 'k'),
    ),
    null,
  );
});

test('a create with no close_write to follow (symlink, hard link, parcel) counts when createFile OR closeWrite is on', () => {
  const link = ev('create', 'link', false, { noCloseWrite: true });
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, closeWrite: true } })).toChange(link)?.op,
    'upsert',
  );
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, createFile: true } })).toChange(link)?.op,
    'upsert',
  );
  assert.equal(
    createEventFilter(config({ switches: { ...NONE, modify: true, attrib: true } })).toChange(link),
    null,
  );
});

// [path, isDir, excluded by the template's four expressions?]
const TEMPLATE_CASES: [string, boolean, boolean][] = [
  ['x.gz', false, true],
  ['a/b/x.gz', false, true],
  ['a/x.gzip', false, false],
  ['.svn', true, true],
  ['proj/.svn', true, true],
  ['proj/.svn/entries', false, true], // below an excluded directory
  ['proj/svn', true, false],
  ['info', true, true],
  ['info', false, true], // full match of the bare name, like sersync at runtime
  ['info/a/b.txt', false, true],
  ['info_new', true, false],
  ['infoX/f', false, false],
  ['keep/info', true, false], // anchored: only at the root
  ['keep/info/f', false, false],
  ['static', true, true],
  ['static/img/logo.png', false, true],
  ['statics/x', false, false],
  ['index.html', false, false],
];

for (const [path, isDir, excluded] of TEMPLATE_CASES) {
  test(`template excludes: ${path}${isDir ? '/' : ''} is ${excluded ? '' : 'not '}excluded`, () => {
    const f = createEventFilter(config({ excludes: TEMPLATE_EXCLUDES }));
    assert.equal(f.isExcluded(ROOT, path, isDir), excluded);
    const change = f.toChange(ev(isDir ? 'moveTo' : 'closeWrite', path, isDir));
    assert.equal(change === null, excluded);
    assert.equal(
      f.toChange(ev(isDir ? 'delete' : 'moveFrom', path, isDir)) === null,
      excluded,
      'excludes apply to removals too',
    );
  });
}

test('directories are also tested with a trailing slash (sersync start-up form)', () => {
  const f = createEventFilter(config({ excludes: ['cache/'] }));
  assert.equal(f.isExcluded(ROOT, 'cache', true), true);
  assert.equal(f.isExcluded(ROOT, 'cache/x', false), true);
  assert.equal(f.isExcluded(ROOT, 'cache', false), false); // a FILE named cache
  assert.equal(f.isExcluded(ROOT, '', true), false); // never the root
});

test('excludes are off when <filter start="false">', () => {
  const f = createEventFilter(config({ excludes: TEMPLATE_EXCLUDES, filterOn: false }));
  assert.equal(f.isExcluded(ROOT, 'x.gz', false), false);
  assert.notEqual(f.toChange(ev('closeWrite', 'x.gz')), null);
});

test('dotfiles and dot-directories are synced (unlike sersync)', () => {
  const f = createEventFilter(config());
  for (const p of ['.htaccess', 'site/.env', '.user.ini', '.hdir/inner'])
    assert.notEqual(f.toChange(ev('closeWrite', p)), null, p);
  assert.notEqual(f.toChange(ev('create', '.git', true)), null);
});

test('editor scratch files are skipped by default, directories never', () => {
  const f = createEventFilter(config({ switches: { createFile: true } }));
  for (const p of ['4913', 'a/4913', 'notes.txt~', 'src/.main.c.swp', '.x.swx']) {
    assert.equal(f.toChange(ev('closeWrite', p)), null, p);
    assert.equal(f.toChange(ev('delete', p)), null, p);
  }
  assert.notEqual(f.toChange(ev('create', 'backup~', true)), null);
  assert.notEqual(f.toChange(ev('closeWrite', '49130')), null);
  assert.notEqual(f.toChange(ev('closeWrite', 'main.swp')), null); // not a vim swap name
});

test('editor scratch files are synced when daemon.skipEditorTemp is off', () => {
  const f = createEventFilter(config({ skipEditorTemp: false }));
  for (const p of ['4913', 'notes.txt~', '.main.c.swp'])
    assert.notEqual(f.toChange(ev('closeWrite', p)), null, p);
});

test('isEditorScratch names', () => {
  assert.deepEqual(
    ['4913', 'a~', '.a.swp', '.a.swx', 'a.swp', '.swp', 'a', '.a'].map(isEditorScratch),
    [true, true, true, true, false, false, false, false],
  );
});

test('the methods work unbound (the daemon passes filter.isExcluded around)', () => {
  const { isExcluded, toChange } = createEventFilter(config({ excludes: ['(.*)\\.gz'] }));
  assert.equal(isExcluded(ROOT, 'a.gz', false), true);
  assert.equal(toChange(ev('closeWrite', 'a.gz')), null);
});

test('a directory moveTo right after its moveFrom (same cookie) carries renamedFrom', () => {
  const f = createEventFilter(config());
  assert.deepEqual(f.toChange(ev('moveFrom', 'a/old', true, { cookie: 7 })), {
    root: ROOT,
    path: 'a/old',
    op: 'remove',
    isDir: true,
  });
  assert.deepEqual(f.toChange(ev('moveTo', 'a/new', true, { cookie: 7 })), {
    root: ROOT,
    path: 'a/new',
    op: 'upsert',
    isDir: true,
    renamedFrom: 'a/old',
  });
});

test('no renamedFrom: other cookie, something in between, a file, no cookie, another root, excludes on', () => {
  const plain = (
    f: ReturnType<typeof createEventFilter>,
    from: FsEvent,
    between: FsEvent[],
    to: FsEvent,
  ): void => {
    f.toChange(from);
    for (const b of between) f.toChange(b);
    const c = f.toChange(to);
    assert.ok(c !== null && !('renamedFrom' in c), JSON.stringify(c));
  };
  const f = createEventFilter(config());
  plain(f, ev('moveFrom', 'o', true, { cookie: 1 }), [], ev('moveTo', 'n', true, { cookie: 2 }));
  plain(
    f,
    ev('moveFrom', 'o', true, { cookie: 1 }),
    [ev('create', 'x')],
    ev('moveTo', 'n', true, { cookie: 1 }),
  );
  plain(f, ev('moveFrom', 'o', false, { cookie: 1 }), [], ev('moveTo', 'n', false, { cookie: 1 }));
  plain(f, ev('moveFrom', 'o', true), [], ev('moveTo', 'n', true));
  plain(
    f,
    ev('moveFrom', 'o', true, { cookie: 1, root: '/other' }),
    [],
    ev('moveTo', 'n', true, { cookie: 1 }),
  );
  // moveFrom switched off: the old directory stays on the target, so the pair is not a rename.
  const noFrom = createEventFilter(config({ switches: { ...NONE, moveTo: true } }));
  plain(
    noFrom,
    ev('moveFrom', 'o', true, { cookie: 1 }),
    [],
    ev('moveTo', 'n', true, { cookie: 1 }),
  );
  const excl = createEventFilter(config({ excludes: TEMPLATE_EXCLUDES }));
  plain(excl, ev('moveFrom', 'o', true, { cookie: 1 }), [], ev('moveTo', 'n', true, { cookie: 1 }));
});

test('unwantedKinds: modify and attrib only, each when its switch is off', () => {
  const all: InotifySwitches = {
    ...NONE,
    delete: true,
    createFolder: true,
    createFile: true,
    closeWrite: true,
    moveFrom: true,
    moveTo: true,
  };
  const cases: [Partial<InotifySwitches>, string[]][] = [
    [{}, ['modify', 'attrib']],
    [{ modify: true }, ['attrib']],
    [{ attrib: true }, ['modify']],
    [{ modify: true, attrib: true }, []],
  ];
  for (const [sw, want] of cases) {
    assert.deepEqual(unwantedKinds({ ...all, ...sw }), want, JSON.stringify(sw));
    assert.deepEqual(unwantedKinds({ ...NONE, ...sw }), want, `NONE + ${JSON.stringify(sw)}`);
  }
});
