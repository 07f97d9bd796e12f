// Integration tests of the native inotify backend against the real file system: every change
// kind, the mkdir -p / cp -r / tar -x races, renames, moves, overflow, exit and signal floods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { tmpDir } from '../helpers/tmp.js';
import { Recorder } from '../helpers/watch-recorder.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { InotifyWatcher } from '../../src/watch/inotify-watcher.js';
import { decodeName, encodeName } from '../../src/util/byte-names.js';
import { loadInotifyBinding, type InotifyBinding } from '../../src/watch/native-binding.js';

const loaded = loadInotifyBinding();
if (!loaded.ok)
  throw new Error(`inotify binding must load for these tests: ${loaded.error.message}`);
const binding = loaded.value;

interface Ctx {
  root: string;
  outside: string;
  rec: Recorder;
  watcher: InotifyWatcher;
  log: ReturnType<typeof memoryLogger>;
}

/** Runs `fn` with a started watcher on a fresh tree (`prepare` runs before the watcher starts). */
async function withWatcher(
  fn: (c: Ctx) => Promise<void>,
  opts: {
    prepare?: (root: string, outside: string) => void;
    excluded?: (rel: string) => boolean;
    unwantedKinds?: ('modify' | 'attrib')[];
  } = {},
): Promise<void> {
  const tmp = tmpDir('sersync-inotify-');
  const root = join(tmp.path, 'root');
  const outside = join(tmp.path, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  opts.prepare?.(root, outside);
  const rec = new Recorder('closeWrite');
  const log = memoryLogger();
  const excluded = opts.excluded ?? ((): boolean => false);
  const watcher = new InotifyWatcher(
    binding,
    {
      roots: [root],
      isExcluded: (_r, p) => excluded(p),
      statWalk: false,
      unwantedKinds: opts.unwantedKinds ?? [],
    },
    rec.cb,
    log,
  );
  try {
    await watcher.start();
    await fn({ root, outside, rec, watcher, log });
  } finally {
    await watcher.close();
    tmp.cleanup();
  }
}

function run(cmd: string, args: readonly string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (e) => {
      if (e) reject(new Error(`${cmd} failed: ${e.message}`));
      else resolve();
    });
  });
}

test('create, write and close are reported as create, modify, closeWrite', async () => {
  await withWatcher(async ({ root, rec }) => {
    writeFileSync(join(root, 'f.txt'), 'hello');
    await rec.waitFor('closeWrite', 'f.txt');
    assert.ok(rec.find('create', 'f.txt'));
    assert.ok(rec.find('modify', 'f.txt'));
    assert.equal(rec.find('create', 'f.txt')?.isDir, false);
    assert.equal(rec.find('create', 'f.txt')?.root, root);
  });
});

test('append to an existing file: modify + closeWrite, no create', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      appendFileSync(join(root, 'a.log'), 'more');
      await rec.waitFor('closeWrite', 'a.log');
      assert.ok(rec.find('modify', 'a.log'));
      assert.equal(rec.find('create', 'a.log'), undefined);
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'a.log'), 'start');
      },
    },
  );
});

test('chmod is reported as attrib (file and directory)', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      chmodSync(join(root, 'm.txt'), 0o600);
      chmodSync(join(root, 'd'), 0o700);
      await rec.waitFor('attrib', 'm.txt');
      const d = await rec.waitFor('attrib', 'd');
      assert.equal(d.isDir, true);
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'm.txt'), 'x');
        mkdirSync(join(root, 'd'));
      },
    },
  );
});

test('unwanted kinds (their switches off) are not reported; create, closeWrite and the tree still are', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      chmodSync(join(root, 'm.txt'), 0o600);
      appendFileSync(join(root, 'm.txt'), 'more');
      writeFileSync(join(root, 'd', 'f.txt'), 'hello');
      mkdirSync(join(root, 'd', 'new'));
      await rec.waitFor('closeWrite', 'd/f.txt');
      await rec.waitFor('closeWrite', 'm.txt');
      await rec.waitFor('create', 'd/new');
      assert.ok(rec.find('create', 'd/f.txt'));
      assert.deepEqual(
        rec.events.filter((e) => e.kind === 'modify' || e.kind === 'attrib'),
        [],
      );
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'm.txt'), 'x');
        mkdirSync(join(root, 'd'));
      },
      unwantedKinds: ['modify', 'attrib'],
    },
  );
});

test('mkdir -p a/b/c with files written at once: every file seen and c watched, 20 times (in-process)', async () => {
  await withWatcher(async ({ root, rec }) => {
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(root, `t${i}/b/c`), { recursive: true });
      writeFileSync(join(root, `t${i}/f1`), '1');
      writeFileSync(join(root, `t${i}/b/f2`), '2');
      writeFileSync(join(root, `t${i}/b/c/f3`), '3');
    }
    for (let i = 0; i < 20; i++) {
      for (const p of [`t${i}/f1`, `t${i}/b/f2`, `t${i}/b/c/f3`, `t${i}/b`, `t${i}/b/c`])
        await rec.waitFor(undefined, p);
    }
    assert.equal(
      rec.find('create', 't0/b/c/f3')?.synthetic,
      true,
      'found by the scan, after the watch was added',
    );
    const iT0 = rec.events.findIndex((e) => e.path === 't0' && e.kind === 'create');
    const iF3 = rec.events.findIndex((e) => e.path === 't0/b/c/f3');
    assert.ok(iT0 >= 0 && iT0 < iF3, 'the directory event comes before what the scan found');
    for (let i = 0; i < 20; i++) writeFileSync(join(root, `t${i}/b/c/later`), 'x');
    for (let i = 0; i < 20; i++) await rec.waitFor('closeWrite', `t${i}/b/c/later`);
  });
});

test('mkdir -p a/b/c with files written at once by another process: nothing lost, 20 times', async () => {
  await withWatcher(async ({ root, rec }) => {
    const script = `const fs = require('fs'); const p = require('path'); const root = process.argv[1];
      for (let i = 0; i < 20; i++) { fs.mkdirSync(p.join(root, 'p' + i, 'b', 'c'), { recursive: true });
        fs.writeFileSync(p.join(root, 'p' + i, 'f1'), '1'); fs.writeFileSync(p.join(root, 'p' + i, 'b', 'f2'), '2');
        fs.writeFileSync(p.join(root, 'p' + i, 'b', 'c', 'f3'), '3'); }`;
    await run(process.execPath, ['-e', script, root]);
    for (let i = 0; i < 20; i++) {
      for (const p of [`p${i}/f1`, `p${i}/b/f2`, `p${i}/b/c/f3`]) await rec.waitFor(undefined, p);
    }
    for (let i = 0; i < 20; i++) writeFileSync(join(root, `p${i}/b/c/later`), 'x');
    for (let i = 0; i < 20; i++) await rec.waitFor('closeWrite', `p${i}/b/c/later`);
  });
});

function makeTree(base: string): void {
  mkdirSync(join(base, 's1/s2'), { recursive: true });
  writeFileSync(join(base, 'f1'), '1');
  writeFileSync(join(base, 's1/f2'), '2');
  writeFileSync(join(base, 's1/s2/f3'), '3');
}
const TREE_PATHS = ['f1', 's1', 's1/f2', 's1/s2', 's1/s2/f3'];

test('cp -r and tar -x of a tree: every entry seen, the deepest directory watched', async () => {
  await withWatcher(
    async ({ root, outside, rec }) => {
      await run('cp', ['-r', join(outside, 'src'), join(root, 'cin')]);
      await run('tar', ['-xf', join(outside, 't.tar'), '-C', root]);
      for (const p of TREE_PATHS) {
        await rec.waitFor(undefined, `cin/${p}`);
        await rec.waitFor(undefined, `src/${p}`);
      }
      writeFileSync(join(root, 'cin/s1/s2/later'), 'x');
      writeFileSync(join(root, 'src/s1/s2/later'), 'x');
      await rec.waitFor('closeWrite', 'cin/s1/s2/later');
      await rec.waitFor('closeWrite', 'src/s1/s2/later');
    },
    {
      prepare: (_root, outside) => {
        makeTree(join(outside, 'src'));
        execFileSync('tar', ['-cf', join(outside, 't.tar'), '-C', outside, 'src']);
      },
    },
  );
});

test('rm of a file and rm -rf of a directory are deletes (isDir set for directories)', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      rmSync(join(root, 'gone.txt'));
      rmSync(join(root, 'tree'), { recursive: true });
      await rec.waitFor('delete', 'gone.txt');
      const d = await rec.waitFor('delete', 'tree');
      assert.equal(d.isDir, true);
      await rec.waitFor('delete', 'tree/s1/s2/f3');
      await rec.barrier(root);
      assert.equal(rec.warnings.length, 0, rec.warnings.join('\n'));
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'gone.txt'), 'x');
        makeTree(join(root, 'tree'));
      },
    },
  );
});

test('rename of a file and of a directory: paired moveFrom/moveTo; later writes under the NEW path', async () => {
  await withWatcher(
    async ({ root, rec, watcher }) => {
      const before = watcher.watchCount;
      renameSync(join(root, 'a.txt'), join(root, 'b.txt'));
      renameSync(join(root, 'd'), join(root, 'd2'));
      const from = await rec.waitFor('moveFrom', 'a.txt');
      const to = await rec.waitFor('moveTo', 'b.txt');
      assert.ok(from.cookie !== undefined && from.cookie !== 0);
      assert.equal(to.cookie, from.cookie);
      const dFrom = await rec.waitFor('moveFrom', 'd');
      const dTo = await rec.waitFor('moveTo', 'd2');
      assert.equal(dTo.cookie, dFrom.cookie);
      assert.equal(dTo.isDir, true);
      writeFileSync(join(root, 'd2/s1/s2/later'), 'x');
      mkdirSync(join(root, 'd'));
      mkdirSync(join(root, 'd/s1'));
      writeFileSync(join(root, 'd/s1/new'), 'y');
      await rec.waitFor('closeWrite', 'd2/s1/s2/later');
      await rec.waitFor(undefined, 'd/s1/new');
      assert.equal(
        rec.find(undefined, 'd/s1/s2/later'),
        undefined,
        'never reported under the old path',
      );
      assert.equal(watcher.watchCount, before + 2);
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'a.txt'), 'x');
        makeTree(join(root, 'd'));
      },
    },
  );
});

test('move in from outside: moveTo plus its contents; writes in a moved-in subdirectory are seen', async () => {
  await withWatcher(
    async ({ root, outside, rec }) => {
      renameSync(join(outside, 'din'), join(root, 'din'));
      const ev = await rec.waitFor('moveTo', 'din');
      assert.equal(ev.isDir, true);
      for (const p of TREE_PATHS) await rec.waitFor('create', `din/${p}`);
      writeFileSync(join(root, 'din/s1/s2/later'), 'x');
      await rec.waitFor('closeWrite', 'din/s1/s2/later');
    },
    {
      prepare: (_root, outside) => {
        makeTree(join(outside, 'din'));
      },
    },
  );
});

test('move out: moveFrom, watches dropped, later writes out there are not reported', async () => {
  await withWatcher(
    async ({ root, outside, rec, watcher }) => {
      const before = watcher.watchCount;
      renameSync(join(root, 'dout'), join(outside, 'dout'));
      await rec.waitFor('moveFrom', 'dout');
      await rec.barrier(root);
      writeFileSync(join(outside, 'dout/s1/x'), 'x');
      await rec.barrier(root);
      assert.equal(rec.events.filter((e) => e.path.startsWith('dout/')).length, 0);
      assert.equal(watcher.watchCount, before - 3);
    },
    {
      prepare: (root) => {
        makeTree(join(root, 'dout'));
      },
    },
  );
});

test('hostile names (spaces, newline, $(…), backticks, unicode) are reported verbatim', async () => {
  const names = [
    'with space.txt',
    'new\nline',
    '$(touch pwned)',
    '`id`',
    'ünï©ødé-文件.txt',
    '-leading-dash',
  ];
  await withWatcher(async ({ root, rec }) => {
    mkdirSync(join(root, 'dir $(x) `y`'));
    for (const n of names) writeFileSync(join(root, 'dir $(x) `y`', n), n);
    for (const n of names) await rec.waitFor(undefined, `dir $(x) \`y\`/${n}`);
    for (const n of names) writeFileSync(join(root, 'dir $(x) `y`', n), `${n}+`);
    for (const n of names) await rec.waitFor('closeWrite', `dir $(x) \`y\`/${n}`);
  });
});

test('names that are not UTF-8 are reported as BytePaths: create, write, moves, new dirs, delete', async () => {
  const bp = (s: string): string => decodeName(Buffer.from(s, 'latin1'));
  const abs = (root: string, rel: string): Buffer => encodeName(`${root}/${bp(rel)}`);
  await withWatcher(async ({ root, rec, watcher }) => {
    writeFileSync(abs(root, 'caf\xe9'), 'x');
    await rec.waitFor('closeWrite', bp('caf\xe9'));
    writeFileSync(join(root, 'good.txt'), 'g');
    await rec.waitFor('closeWrite', 'good.txt');
    renameSync(join(root, 'good.txt'), abs(root, 'good\xfc.txt'));
    const to = await rec.waitFor('moveTo', bp('good\xfc.txt'));
    const from = await rec.waitFor('moveFrom', 'good.txt');
    assert.equal(
      from.kind === 'moveFrom' && to.kind === 'moveTo' && from.cookie === to.cookie,
      true,
    );
    // A new directory with a GBK name gets a watch: what is written inside later is seen.
    const before = watcher.watchCount;
    mkdirSync(abs(root, '\xc4\xe3\xba\xc3'));
    await rec.waitFor('create', bp('\xc4\xe3\xba\xc3'));
    await eventually(() => watcher.watchCount === before + 1, {
      what: 'the new directory watched',
    });
    writeFileSync(abs(root, '\xc4\xe3\xba\xc3/in\xe9'), 'x');
    await rec.waitFor('closeWrite', bp('\xc4\xe3\xba\xc3/in\xe9'));
    // A watched directory renamed to a Latin-1 name keeps its watch under the new name.
    mkdirSync(join(root, 'photos'));
    await eventually(() => watcher.watchCount === before + 2, { what: 'photos watched' });
    renameSync(join(root, 'photos'), abs(root, 'fotos\xe9'));
    await rec.waitFor('moveTo', bp('fotos\xe9'));
    writeFileSync(abs(root, 'fotos\xe9/later\xfc'), 'x');
    await rec.waitFor('closeWrite', bp('fotos\xe9/later\xfc'));
    rmSync(abs(root, 'caf\xe9'));
    await rec.waitFor('delete', bp('caf\xe9'));
    assert.deepEqual(rec.warnings, []);
  });
});

test('a tree with non-UTF-8 names at start: every directory is watched, names are lossless', async () => {
  const bp = (s: string): string => decodeName(Buffer.from(s, 'latin1'));
  await withWatcher(
    async ({ root, rec, watcher }) => {
      assert.equal(watcher.watchCount, 3, 'root, d\xe9 and d\xe9/s\xfc');
      writeFileSync(encodeName(`${root}/${bp('d\xe9/s\xfc/f\xc4')}`), 'x');
      await rec.waitFor('closeWrite', bp('d\xe9/s\xfc/f\xc4'));
    },
    {
      prepare: (root) => {
        mkdirSync(Buffer.from(`${root}/d\xe9/s\xfc`, 'latin1'), { recursive: true });
      },
    },
  );
});

test('excluded directories are not watched and not reported, also when created later', async () => {
  await withWatcher(
    async ({ root, rec, watcher }) => {
      assert.equal(watcher.watchCount, 2, 'root and keep only');
      writeFileSync(join(root, 'cache/sub/x'), 'x');
      mkdirSync(join(root, 'keep/cache'));
      mkdirSync(join(root, 'cache2'));
      writeFileSync(join(root, 'keep/ok'), 'x');
      await rec.waitFor('closeWrite', 'keep/ok');
      await rec.waitFor('create', 'cache2');
      await rec.barrier(root);
      assert.deepEqual(
        rec.events.filter((e) => /(^|\/)cache(\/|$)/.test(e.path)),
        [],
      );
      assert.equal(watcher.watchCount, 3, 'cache2 is watched, keep/cache is not');
    },
    {
      prepare: (root) => {
        mkdirSync(join(root, 'cache/sub'), { recursive: true });
        mkdirSync(join(root, 'keep'));
      },
      excluded: (rel) => /(^|\/)cache(\/|$)/.test(rel),
    },
  );
});

test('a simulated IN_Q_OVERFLOW asks for a rescan of the root with the sysctl to raise', async () => {
  await withWatcher(async ({ root, rec, watcher, log }) => {
    watcher.simulateOverflow();
    await eventually(() => rec.rescans.length > 0, { what: 'onRescan' });
    const r = rec.rescans[0];
    assert.ok(r);
    assert.equal(r.root, root);
    assert.equal(r.reason, 'overflow');
    assert.match(r.detail, /sysctl -w fs\.inotify\.max_queued_events=/);
    assert.ok(log.lines.some((l) => l.startsWith('[error]') && l.includes('overflow')));
    await rec.barrier(root);
  });
});

/** The real binding, but inotify_add_watch fails with ENOSPC once `limit` watches exist (as at max_user_watches). */
function limitedBinding(limit: number): InotifyBinding {
  return {
    constants: binding.constants,
    open(onBatch) {
      const h = binding.open(onBatch);
      const wds = new Set<number>();
      return {
        addWatch(path, mask) {
          if (wds.size >= limit) return -osConstants.errno.ENOSPC;
          const wd = h.addWatch(path, mask);
          if (wd > 0) wds.add(wd);
          return wd;
        },
        rmWatch: (wd) => h.rmWatch(wd),
        close: () => {
          h.close();
        },
        simulateOverflow: () => h.simulateOverflow(),
      };
    },
  };
}

test('running out of watches (ENOSPC) at start and at runtime asks for a rescan with the sysctl to raise', async () => {
  const tmp = tmpDir('sersync-limit-');
  try {
    for (let i = 0; i < 10; i++) mkdirSync(join(tmp.path, `d${i}`));
    const rec = new Recorder('closeWrite');
    const log = memoryLogger();
    const w = new InotifyWatcher(
      limitedBinding(12),
      { roots: [tmp.path], isExcluded: () => false, statWalk: false },
      rec.cb,
      log,
    );
    try {
      await w.start();
      assert.equal(w.watchCount, 11);
      assert.equal(rec.rescans.length, 0);
      for (let i = 0; i < 3; i++) mkdirSync(join(tmp.path, `n${i}`));
      await eventually(() => rec.rescans.find((r) => r.reason === 'watch-limit'), {
        what: 'watch-limit rescan',
      });
      assert.match(rec.rescans[0]?.detail ?? '', /sysctl -w fs\.inotify\.max_user_watches=N/);
      assert.ok(log.lines.some((l) => l.startsWith('[error]') && l.includes('watch limit')));
      await rec.waitFor('create', 'n2');
      assert.equal(w.watchCount, 12);
      assert.equal(rec.rescans.length, 1, 'reported once per episode, not once per directory');
    } finally {
      await w.close();
    }
    const rec2 = new Recorder('closeWrite');
    const w2 = new InotifyWatcher(
      limitedBinding(5),
      { roots: [tmp.path], isExcluded: () => false, statWalk: false },
      rec2.cb,
      memoryLogger(),
    );
    try {
      await w2.start();
      assert.equal(
        rec2.rescans[0]?.reason,
        'watch-limit',
        'start resolves with a partial tree and a rescan request',
      );
    } finally {
      await w2.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('the watch root deleted: onRescan root-lost', async () => {
  await withWatcher(async ({ root, rec }) => {
    rmSync(root, { recursive: true });
    await eventually(() => rec.rescans.find((r) => r.reason === 'root-lost'), {
      what: 'root-lost',
    });
  });
});

test('start() rejects for a missing root', async () => {
  const w = new InotifyWatcher(
    binding,
    { roots: ['/nonexistent/sersync-root'], isExcluded: () => false, statWalk: false },
    new Recorder('closeWrite').cb,
    memoryLogger(),
  );
  await assert.rejects(w.start(), (e: unknown) => (e as { kind?: string }).kind === 'root-missing');
});

test('the process exits by itself while a watcher is open', async () => {
  const tmp = tmpDir('sersync-exit-');
  try {
    const mod = fileURLToPath(new URL('../../src/watch/create-watcher.js', import.meta.url));
    const script = `import { createWatcher } from ${JSON.stringify(mod)};
      const cb = { onEvents() {}, onRescan() {}, onWarning() {} };
      const log = { error() {}, warn() {}, info() {}, debug() {}, level: 'info' };
      const w = createWatcher('inotify', { roots: [process.argv[2]], isExcluded: () => false, statWalk: false }, cb, log);
      await w.start();
      console.log('watching', w.backend, w.watchCount);`;
    writeFileSync(join(tmp.path, 'child.mjs'), script);
    const { code, out } = await new Promise<{ code: number | null; out: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [join(tmp.path, 'child.mjs'), tmp.path], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('child did not exit within 10 s'));
        }, 10_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve({ code: c, out });
        });
      },
    );
    assert.equal(code, 0);
    assert.match(out, /watching inotify 1/);
  } finally {
    tmp.cleanup();
  }
});

test('a flood of handled signals and hundreds of child processes does not stop events', async () => {
  let handled = 0;
  const onSig = (): void => {
    handled++;
  };
  process.on('SIGUSR2', onSig);
  try {
    await withWatcher(async ({ root, rec }) => {
      // Spawning costs ~10-30 ms a child on small CI machines: 300 by default keeps this under ~10 s.
      const perRound = Math.ceil(Number(process.env['SERSYNC_TEST_CHILDREN'] ?? '300') / 20);
      const children: Promise<void>[] = [];
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 2000; i++) process.kill(process.pid, 'SIGUSR2');
        for (let i = 0; i < perRound; i++) children.push(run('/bin/true', []));
        writeFileSync(join(root, `during-${round}`), 'x');
        await Promise.all(children.splice(0));
      }
      for (let round = 0; round < 20; round++) await rec.waitFor('closeWrite', `during-${round}`);
      await eventually(() => handled > 0, { what: 'signals handled' });
      writeFileSync(join(root, 'after'), 'x');
      await rec.waitFor('closeWrite', 'after');
    });
  } finally {
    process.off('SIGUSR2', onSig);
  }
});
