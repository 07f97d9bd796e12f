// Integration tests of the @parcel/watcher backend: only what it can honour (docs/watchers.md
// lists the gaps: no closeWrite/attrib/modify split, no cookies, subdirs of new dirs unwatched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp.js';
import { Recorder } from '../helpers/watch-recorder.js';
import { memoryLogger } from '../helpers/memory-logger.js';
import { ParcelWatcher } from '../../src/watch/parcel-watcher.js';
import { decodeName, encodeName } from '../../src/util/byte-names.js';
import { eventually } from '../helpers/eventually.js';

interface Ctx {
  root: string;
  outside: string;
  rec: Recorder;
  watcher: ParcelWatcher;
}

async function withWatcher(
  fn: (c: Ctx) => Promise<void>,
  opts: {
    prepare?: (root: string, outside: string) => void;
    excluded?: (rel: string) => boolean;
  } = {},
): Promise<void> {
  const tmp = tmpDir('sersync-parcel-');
  const root = join(tmp.path, 'root');
  const outside = join(tmp.path, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  opts.prepare?.(root, outside);
  const rec = new Recorder(undefined);
  const excluded = opts.excluded ?? ((): boolean => false);
  const watcher = new ParcelWatcher(
    { roots: [root], isExcluded: (_r, p) => excluded(p), statWalk: false },
    rec.cb,
    memoryLogger(),
  );
  try {
    await watcher.start();
    await fn({ root, outside, rec, watcher });
  } finally {
    await watcher.close();
    tmp.cleanup();
  }
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (e) => {
      if (e) reject(new Error(`${cmd} failed: ${e.message}`));
      else resolve();
    });
  });
}

function makeTree(base: string): void {
  mkdirSync(join(base, 's1/s2'), { recursive: true });
  writeFileSync(join(base, 'f1'), '1');
  writeFileSync(join(base, 's1/f2'), '2');
  writeFileSync(join(base, 's1/s2/f3'), '3');
}
const TREE_PATHS = ['f1', 's1', 's1/f2', 's1/s2', 's1/s2/f3'];

test('parcel: a new file is reported (create or closeWrite), never as a directory', async () => {
  await withWatcher(async ({ root, rec }) => {
    writeFileSync(join(root, 'f.txt'), 'hello');
    const ev = await rec.waitFor(undefined, 'f.txt');
    assert.ok(ev.kind === 'create' || ev.kind === 'closeWrite');
    assert.equal(ev.isDir, false);
    assert.equal(ev.root, root);
  });
});

test('parcel: append and chmod are both reported as closeWrite (it cannot tell them apart)', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      // One at a time: parcel drops events that straddle its batch edges (docs/watchers.md).
      appendFileSync(join(root, 'a.log'), 'more');
      await rec.waitFor('closeWrite', 'a.log');
      chmodSync(join(root, 'm.txt'), 0o600);
      await rec.waitFor('closeWrite', 'm.txt');
      assert.equal(rec.events.filter((e) => e.kind === 'attrib' || e.kind === 'modify').length, 0);
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'a.log'), 's');
        writeFileSync(join(root, 'm.txt'), 'x');
      },
    },
  );
});

test('parcel: mkdir -p a/b/c with files written at once: the scan of the new directory reports them', async () => {
  await withWatcher(async ({ root, rec }) => {
    for (let i = 0; i < 5; i++) {
      mkdirSync(join(root, `t${i}/b/c`), { recursive: true });
      writeFileSync(join(root, `t${i}/f1`), '1');
      writeFileSync(join(root, `t${i}/b/f2`), '2');
      writeFileSync(join(root, `t${i}/b/c/f3`), '3');
    }
    for (let i = 0; i < 5; i++) {
      const d = await rec.waitFor('create', `t${i}`);
      assert.equal(d.isDir, true);
      for (const p of ['f1', 'b', 'b/f2', 'b/c', 'b/c/f3'])
        await rec.waitFor('create', `t${i}/${p}`);
    }
  });
});

test('parcel: cp -r and tar -x of a tree: every entry reported', async () => {
  await withWatcher(
    async ({ root, outside, rec }) => {
      await run('cp', ['-r', join(outside, 'src'), join(root, 'cin')]);
      await run('tar', ['-xf', join(outside, 't.tar'), '-C', root]);
      for (const p of TREE_PATHS) {
        await rec.waitFor(undefined, `cin/${p}`);
        await rec.waitFor(undefined, `src/${p}`);
      }
    },
    {
      prepare: (_root, outside) => {
        makeTree(join(outside, 'src'));
        execFileSync('tar', ['-cf', join(outside, 't.tar'), '-C', outside, 'src']);
      },
    },
  );
});

test('parcel: rm of a file and rm -rf of a directory are deletes', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      rmSync(join(root, 'gone.txt'));
      rmSync(join(root, 'tree'), { recursive: true });
      await rec.waitFor('delete', 'gone.txt');
      await rec.waitFor('delete', 'tree');
      await rec.waitFor('delete', 'tree/s1/s2/f3');
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'gone.txt'), 'x');
        makeTree(join(root, 'tree'));
      },
    },
  );
});

test('parcel: renames are a delete of the old path and a create of the new one (no cookie)', async () => {
  await withWatcher(
    async ({ root, rec }) => {
      renameSync(join(root, 'a.txt'), join(root, 'b.txt'));
      renameSync(join(root, 'd'), join(root, 'd2'));
      await rec.waitFor('delete', 'a.txt');
      await rec.waitFor('create', 'b.txt');
      await rec.waitFor('delete', 'd');
      const d2 = await rec.waitFor('create', 'd2');
      assert.equal(d2.isDir, true);
      for (const p of TREE_PATHS) await rec.waitFor('create', `d2/${p}`);
    },
    {
      prepare: (root) => {
        writeFileSync(join(root, 'a.txt'), 'x');
        makeTree(join(root, 'd'));
      },
    },
  );
});

test('parcel: move in from outside reports the directory and its contents; move out is a delete', async () => {
  await withWatcher(
    async ({ root, outside, rec }) => {
      renameSync(join(outside, 'din'), join(root, 'din'));
      renameSync(join(root, 'dout'), join(outside, 'dout'));
      await rec.waitFor('create', 'din');
      for (const p of TREE_PATHS) await rec.waitFor('create', `din/${p}`);
      await rec.waitFor('delete', 'dout');
    },
    {
      prepare: (root, outside) => {
        makeTree(join(outside, 'din'));
        makeTree(join(root, 'dout'));
      },
    },
  );
});

test('parcel: hostile names are reported verbatim', async () => {
  const names = [
    'with space.txt',
    'new\nline',
    '$(touch pwned)',
    '`id`',
    'ünï©ødé-文件.txt',
    '-leading-dash',
  ];
  await withWatcher(
    async ({ root, rec }) => {
      for (const n of names) writeFileSync(join(root, 'dir $(x) `y`', n), n);
      for (const n of names) await rec.waitFor(undefined, `dir $(x) \`y\`/${n}`);
    },
    {
      prepare: (root) => {
        mkdirSync(join(root, 'dir $(x) `y`'));
      },
    },
  );
});

test('parcel: names that are not UTF-8 are resolved by a lossless re-read: creates, writes, renames', async () => {
  const bp = (x: string): string => decodeName(Buffer.from(x, 'latin1'));
  const abs = (root: string, rel: string): Buffer => encodeName(`${root}/${bp(rel)}`);
  await withWatcher(async ({ root, rec }) => {
    // parcel reports these as "good\ufffd.txt" and "fotos\ufffd": the events carry the real bytes.
    writeFileSync(abs(root, 'good\xfc.txt'), 'x');
    await rec.waitFor(undefined, bp('good\xfc.txt'));
    mkdirSync(abs(root, 'fotos\xe9'));
    writeFileSync(abs(root, 'fotos\xe9/in\xc4\xe3'), 'x');
    await rec.waitFor(undefined, bp('fotos\xe9/in\xc4\xe3'));
    writeFileSync(join(root, 'plain.txt'), 'p');
    await rec.waitFor(undefined, 'plain.txt');
    renameSync(join(root, 'plain.txt'), abs(root, 'plain\xe9.txt'));
    await rec.waitFor(undefined, bp('plain\xe9.txt'));
    await rec.barrier(root);
    assert.deepEqual(
      rec.events.filter((e) => e.path.includes('\ufffd')),
      [],
      'no lossy path is ever queued',
    );
  });
});

test('parcel: the delete of a non-UTF-8 name queues its parent directory, or a full sync in the root', async () => {
  const bp = (x: string): string => decodeName(Buffer.from(x, 'latin1'));
  const abs = (root: string, rel: string): Buffer => encodeName(`${root}/${bp(rel)}`);
  await withWatcher(
    async ({ root, rec }) => {
      rmSync(abs(root, 'd/gone\xfc'));
      const ev = await rec.waitFor('create', 'd');
      assert.equal(ev.isDir, true);
      rmSync(abs(root, 'top\xfc'));
      await eventually(() => rec.rescans.some((r) => r.root === root), {
        what: 'a rescan of the root',
      });
    },
    {
      prepare: (root) => {
        mkdirSync(join(root, 'd'));
        writeFileSync(abs(root, 'd/gone\xfc'), 'x');
        writeFileSync(abs(root, 'top\xfc'), 'x');
      },
    },
  );
});

test('parcel: a watch root whose name is not UTF-8 is refused with a clear error', async () => {
  const tmp = tmpDir('sersync-parcel-');
  try {
    const root = decodeName(Buffer.from(`${tmp.path}/r\xe9`, 'latin1'));
    mkdirSync(encodeName(root));
    const w = new ParcelWatcher(
      { roots: [root], isExcluded: () => false, statWalk: false },
      new Recorder(undefined).cb,
      memoryLogger(),
    );
    await assert.rejects(w.start(), /takes only UTF-8 paths/);
  } finally {
    tmp.cleanup();
  }
});

test('parcel: excluded directories present at start are not watched; events below them are never reported', async () => {
  await withWatcher(
    async ({ root, rec, watcher }) => {
      assert.equal(watcher.watchCount, 2, 'root and keep');
      writeFileSync(join(root, 'cache/sub/x'), 'x');
      writeFileSync(join(root, 'keep/ok'), 'x');
      await rec.waitFor(undefined, 'keep/ok');
      await rec.barrier(root);
      assert.deepEqual(
        rec.events.filter((e) => e.path.startsWith('cache')),
        [],
      );
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

test('parcel: start() rejects for a missing root', async () => {
  const w = new ParcelWatcher(
    { roots: ['/nonexistent/sersync-root'], isExcluded: () => false, statWalk: false },
    new Recorder(undefined).cb,
    memoryLogger(),
  );
  await assert.rejects(w.start(), (e: unknown) => (e as { kind?: string }).kind === 'root-missing');
});

// Unlike the inotify binding, a parcel subscription keeps the event loop alive (no unref API):
// the process exits once close() resolved (documented in docs/watchers.md).
test('parcel: the process exits by itself after close()', async () => {
  const tmp = tmpDir('sersync-exit-');
  try {
    const mod = fileURLToPath(new URL('../../src/watch/create-watcher.js', import.meta.url));
    const script = `import { createWatcher } from ${JSON.stringify(mod)};
      const cb = { onEvents() {}, onRescan() {}, onWarning() {} };
      const log = { error() {}, warn() {}, info() {}, debug() {}, level: 'info' };
      const w = createWatcher('parcel', { roots: [process.argv[2]], isExcluded: () => false, statWalk: false }, cb, log);
      await w.start();
      await w.close();
      console.log('closed', w.backend);`;
    writeFileSync(join(tmp.path, 'child.mjs'), script);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [join(tmp.path, 'child.mjs'), tmp.path], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('child did not exit within 10 s'));
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
  } finally {
    tmp.cleanup();
  }
});
