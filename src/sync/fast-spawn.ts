// Starts rsync without fork(): the addon's posix_spawn (native/spawn.cc) costs well under a
// millisecond where child_process.spawn, whose libuv fork()s the whole node process, costs ~6 ms.
// Gives the worker the part of ChildProcess it uses: pid, exitCode/signalCode, the three pipes as
// streams, 'error' (a spawn that failed: pid undefined, err.code the errno name), 'spawn', and
// 'close' (code, signal) once the child has exited AND stdout and stderr have ended. Falls back to
// child_process.spawn, same interface, where the addon or its spawn is missing (other platforms,
// an install running on @parcel/watcher without the addon). Shell (processes).
//
// Differences from child_process: the pipes are pipes (Node uses socketpairs); a failed spawn
// emits 'error' only, never 'close'; the environment is the process's environ (what process.env
// wrote through on the main thread), not a worker thread's copy of process.env.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { encodeName } from '../util/byte-names.js';
import { loadNativeSpawn, type NativeSpawn } from '../watch/native-binding.js';

/** What the worker uses of a child process. */
export interface SpawnedChild extends EventEmitter {
  /** undefined when the spawn failed ('error' follows). */
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  once(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  once(event: 'spawn', listener: () => void): this;
  once(
    event: 'close',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): this;
}

export interface SpawnChildOptions {
  /** A directory fd (fchdir, for names with raw bytes: byte-cwd.ts) or a path. */
  readonly cwd: number | string;
  /** Its own session and process group (kill(-pid) reaches its children: kill.ts). */
  readonly detached: boolean;
  /** Tests and benches only: force one implementation (default: native when available). */
  readonly via?: 'native' | 'child_process';
}

let native: NativeSpawn | null | undefined;
/** The addon's spawner, looked up once per thread; null when there is none. */
function nativeSpawn(): NativeSpawn | null {
  if (native === undefined) {
    const r = loadNativeSpawn();
    native = r.ok ? r.value : null;
  }
  return native;
}

/** Which implementation spawnChild uses here by default. */
export function spawnVia(): 'native' | 'child_process' {
  return nativeSpawn() === null ? 'child_process' : 'native';
}

/** Starts `file` (looked up in PATH when it has no slash) with `args`; pipes on 0, 1 and 2. */
export function spawnChild(
  file: string,
  args: readonly string[],
  opts: SpawnChildOptions,
): SpawnedChild {
  const n = opts.via === 'child_process' ? null : nativeSpawn();
  if (n !== null) return new NativeChildProcess(n, file, args, opts);
  if (opts.via === 'native') throw new Error('the native spawner is not available here');
  const cwd = typeof opts.cwd === 'number' ? `/proc/${process.pid}/fd/${opts.cwd}` : opts.cwd;
  return spawn(file, [...args], { cwd, detached: opts.detached, stdio: ['pipe', 'pipe', 'pipe'] });
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]),
);

/** A spawn error as child_process makes it: `spawn FILE CODE`, with code, errno and syscall. */
function spawnError(file: string, errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  const e: NodeJS.ErrnoException = new Error(`spawn ${file} ${code}`);
  e.code = code;
  e.errno = errno;
  e.syscall = `spawn ${file}`;
  e.path = file;
  return e;
}

class NativeChildProcess extends EventEmitter implements SpawnedChild {
  readonly pid?: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  private pending = 3; // the exit and the ends of stdout and stderr

  constructor(n: NativeSpawn, file: string, args: readonly string[], opts: SpawnChildOptions) {
    super();
    const cwd = typeof opts.cwd === 'number' ? opts.cwd : encodeName(opts.cwd);
    const r = n(file, [file, ...args], cwd, opts.detached, (code, signal) => {
      this.exitCode = code;
      this.signalCode = signal === null ? null : (SIGNAL_NAMES.get(signal) ?? null);
      this.settle();
    });
    if (typeof r === 'number') {
      // No process: empty streams, and the error on the next tick (as child_process does).
      this.pid = undefined;
      this.stdin = new PassThrough();
      this.stdout = new PassThrough().end();
      this.stderr = new PassThrough().end();
      process.nextTick(() => this.emit('error', spawnError(file, r)));
      return;
    }
    this.pid = r.pid;
    this.stdin = new Socket({ fd: r.stdin, readable: false, writable: true });
    this.stdout = new Socket({ fd: r.stdout, readable: true, writable: false });
    this.stderr = new Socket({ fd: r.stderr, readable: true, writable: false });
    for (const s of [this.stdout, this.stderr])
      s.once('close', () => {
        this.settle();
      });
    process.nextTick(() => this.emit('spawn'));
  }

  private settle(): void {
    if (--this.pending === 0) this.emit('close', this.exitCode, this.signalCode);
  }
}
