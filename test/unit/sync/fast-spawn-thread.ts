// Worker-thread half of fast-spawn.test.ts: spawns through the adapter on a worker thread.
// 'exit': runs `sh -c 'echo hi; exit 5'`, posts what it saw and lets the thread end by itself.
// 'hold': starts `cat` (waits on stdin), posts its pid, and waits to be terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { spawnChild, spawnVia } from '../../../src/sync/fast-spawn.js';

const mode = (workerData as { mode: 'exit' | 'hold' }).mode;
if (mode === 'exit') {
  const c = spawnChild('sh', ['-c', 'echo hi; exit 5'], { cwd: '/', detached: true });
  let out = '';
  c.stdout.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr.resume();
  c.stdin.end();
  c.once('close', (code, signal) => {
    parentPort?.postMessage({ via: spawnVia(), pid: c.pid, code, signal, out });
  });
} else {
  const c = spawnChild('cat', [], { cwd: '/', detached: true });
  c.stdout.resume();
  c.stderr.resume();
  c.once('spawn', () => parentPort?.postMessage({ via: spawnVia(), pid: c.pid }));
}
