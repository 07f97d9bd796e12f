// The socket plugin: per event and destination, a new TCP connection carrying exactly the
// absolute path's raw bytes (encodeName: a Latin-1 or GBK name goes as it is on disk; no
// terminator, no operation), then close, as sersync 2.5.4 (docs/plugins.md "socket").
// Shell (node:net).
import { connect } from 'node:net';
import { encodeName } from '../util/byte-names.js';
import type { Clock } from '../util/clock.js';
import { err, ok } from '../util/result.js';
import type { CallResult } from './plugin-queue.js';
import type { PluginEvent } from './plugin.js';
import { isWithin, showPath, trimSlash } from './plugin.js';
import type { SocketPluginConfig } from '../config/types.js';

export interface SocketDestination {
  readonly ip: string;
  readonly port: number;
}

/**
 * The destinations an event goes to: every deshost of every `<localpath>` whose watch contains the
 * event's path (all of them when `watchOverride` is set and contains it). Pure.
 */
export function socketDestinations(
  cfg: SocketPluginConfig,
  absPath: string,
  watchOverride?: string,
): readonly SocketDestination[] {
  return cfg.localpaths
    .filter((lp) => isWithin(trimSlash(watchOverride ?? lp.watch), absPath))
    .flatMap((lp) => lp.deshosts);
}

/** One connect + write + close. Resolves with the error code/message on failure, undefined on success. */
function sendOnce(
  dest: SocketDestination,
  payload: Buffer,
  signal: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: dest.ip, port: dest.port, family: 4 });
    const onAbort = (): void => {
      s.destroy();
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.on('error', (e: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(e.code ?? e.message);
    });
    s.on('connect', () => {
      s.end(payload);
    });
    // 'finish': every byte was handed to the kernel. Closing now is what the original's close() did;
    // the kernel still delivers the bytes and the FIN. Nothing is read back.
    s.on('finish', () => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(undefined);
    });
  });
}

/**
 * Sends the event's path to each destination (in parallel), each with up to `tries` attempts
 * `gapMs` apart. Any destination still failing is reported as a `warn` failure (the original
 * dropped silently).
 */
export async function runSocket(
  dests: readonly SocketDestination[],
  ev: PluginEvent,
  signal: AbortSignal,
  clock: Clock,
  tries: number,
  gapMs: number,
): Promise<CallResult> {
  if (dests.length === 0) return ok('skipped');
  const payload = encodeName(ev.absPath);
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const cancel = clock.setTimeout(resolve, gapMs);
      signal.addEventListener(
        'abort',
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  const deliver = async (d: SocketDestination): Promise<string | undefined> => {
    let last = 'aborted';
    for (let i = 0; i < tries; i++) {
      if (i > 0) await pause();
      if (signal.aborted) break;
      const e = await sendOnce(d, payload, signal);
      if (e === undefined) return undefined;
      last = e;
    }
    return `${d.ip}:${d.port}: ${last}`;
  };
  const failures = (await Promise.all(dests.map(deliver))).filter(
    (f): f is string => f !== undefined,
  );
  if (failures.length === 0) return ok('done');
  return err({
    level: 'warn',
    message: `could not deliver ${showPath(ev.absPath)} after ${tries} tries to ${failures.join(', ')}`,
  });
}
