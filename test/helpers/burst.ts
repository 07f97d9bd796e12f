// Writes many files fast from a child process, so the test process stays free to kill, stop or
// signal the service while the burst is running. The child reports its progress on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './eventually.js';

export interface BurstOptions {
  /** Number of files to write. */
  readonly files: number;
  /** Files per subdirectory (`d0000/`, `d0001/`, …, created as needed). 0: all in `dir` itself. */
  readonly perDir?: number;
  /** File name prefix. Default `f`. */
  readonly prefix?: string;
  /** Stop after this many files until `resume()` is called (the test acts while the burst is half done). */
  readonly pauseAt?: number;
}

export interface Burst {
  readonly proc: ChildProcess;
  /** Files written so far (as last reported; the child reports every 50 files). */
  written(): number;
  /** Waits (deadline 30 s) until at least `n` files are written. */
  reached(n: number): Promise<void>;
  /** Lets a burst paused at `pauseAt` write the rest. */
  resume(): void;
  /** Resolves when the child has written every file; rejects if it failed. */
  readonly done: Promise<void>;
}

// The child: plain synchronous writes (create + write + close = IN_CREATE + IN_CLOSE_WRITE each),
// content naming the file so a target holding the wrong bytes is caught by the tree diff.
const CHILD = `
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [dir, files, perDir, prefix, pauseAt] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), process.argv[4], Number(process.argv[5])];
let i = 0;
const write = (end) => {
  for (; i < end; i++) {
    let d = dir;
    if (perDir > 0) {
      d = join(dir, 'd' + String(Math.floor(i / perDir)).padStart(4, '0'));
      if (i % perDir === 0) mkdirSync(d, { recursive: true });
    }
    const name = prefix + String(i).padStart(5, '0');
    writeFileSync(join(d, name), name + ' ' + 'x'.repeat(i % 97) + '\\n');
    if ((i + 1) % 50 === 0 || i + 1 === files) process.stdout.write('written ' + (i + 1) + '\\n');
  }
};
if (pauseAt > 0 && pauseAt < files) {
  write(pauseAt);
  process.stdout.write('written ' + i + '\\n');
  process.stdin.once('data', () => { write(files); process.stdin.destroy(); });
} else {
  write(files);
}
`;

/** Starts writing `opts.files` files under `dir` (which must exist) in a child process. */
export function startBurst(dir: string, opts: BurstOptions): Burst {
  const args = [
    dir,
    String(opts.files),
    String(opts.perDir ?? 0),
    opts.prefix ?? 'f',
    String(opts.pauseAt ?? 0),
  ];
  const proc = spawn(process.execPath, ['-e', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let count = 0;
  let stderr = '';
  let buffered = '';
  proc.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^written (\d+)$/.exec(l);
      if (m) count = Number(m[1]);
    }
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    proc.once('exit', (code, signal) => {
      if (code === 0 && count === opts.files) resolve();
      else
        reject(
          new Error(
            `burst writer ended with ${signal ?? String(code)} after ${count} files: ${stderr}`,
          ),
        );
    });
  });
  // A rejection nobody awaited yet must not crash the test runner; callers still see it via `done`.
  done.catch(() => undefined);
  return {
    proc,
    written: () => count,
    reached: (n) =>
      eventually(
        () => {
          if (proc.exitCode !== null && count < n)
            throw new Error(`burst writer exited after ${count} files: ${stderr}`);
          return count >= n;
        },
        { timeoutMs: 30_000, what: `the burst to write ${n} files` },
      ).then(() => undefined),
    resume() {
      proc.stdin.write('go\n');
    },
    done,
  };
}
