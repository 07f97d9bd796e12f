// The http plugin (documented by sersync, never shipped): per event, a form POST of
// watchroot / isdir / inotifyPath / mask to each configured URL (docs/plugins.md "http"). Body building is pure;
// the sender is a shell (node:http).
import { request } from 'node:http';
import type { HttpPluginConfig } from '../config/types.js';
import { percentEncode, type BytePath } from '../util/byte-names.js';
import { err, ok } from '../util/result.js';
import type { CallResult } from './plugin-queue.js';
import type { PluginEvent } from './plugin.js';
import { isWithin, showPath, trimSlash } from './plugin.js';

/**
 * `watchroot=<watch>&isdir=0|1&inotifyPath=<abs>&mask=<n>`. Unlike the original's (never built)
 * libcurl code, values are percent-encoded byte for byte (percentEncode: every byte but the RFC
 * 3986 unreserved ones), so `&`, `+`, `%`, spaces and raw (non-UTF-8) bytes in names survive any
 * form decoder: `good\xfc.txt` is `good%FC.txt`. Pure.
 */
export function httpBody(watch: BytePath, ev: PluginEvent): string {
  const e = (s: BytePath): string => percentEncode(s);
  return `watchroot=${e(watch)}&isdir=${ev.isDir ? 1 : 0}&inotifyPath=${e(ev.absPath)}&mask=${ev.mask}`;
}

/** A URL for log lines: user info (a password) removed. Pure. */
export function showUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return JSON.stringify(url);
  }
}

/** The POSTs of one event: every deshost url of each `<localpath>` whose watch contains the path. Pure. */
export function httpTargets(
  cfg: HttpPluginConfig,
  ev: PluginEvent,
  watchOverride?: string,
): readonly { readonly url: string; readonly body: string }[] {
  return cfg.localpaths
    .filter((lp) => isWithin(watchOverride ?? lp.watch, ev.absPath))
    .flatMap((lp) =>
      lp.deshosts.map((d) => ({
        url: d.url,
        body: httpBody(trimSlash(watchOverride ?? lp.watch), ev),
      })),
    );
}

function post(url: string, body: string, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve('invalid URL');
      return;
    }
    if (u.protocol !== 'http:') {
      resolve(`unsupported protocol ${u.protocol} (only http://)`);
      return;
    }
    const req = request(
      u,
      {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume(); // the body is not used; drain it so the socket is released
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 300 ? undefined : `HTTP ${code}`);
        });
        res.on('error', (e) => {
          resolve(e.message);
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code ?? e.message);
    });
    req.end(body);
  });
}

/** POSTs to every target in parallel; any failure (connection, non-2xx status) is a `warn`. */
export async function runHttp(
  targets: ReturnType<typeof httpTargets>,
  ev: PluginEvent,
  signal: AbortSignal,
): Promise<CallResult> {
  if (targets.length === 0) return ok('skipped');
  const results = await Promise.all(
    targets.map(async (t) => {
      const e = await post(t.url, t.body, signal);
      return e === undefined ? undefined : `${showUrl(t.url)}: ${e}`;
    }),
  );
  const failed = results.filter((r): r is string => r !== undefined);
  if (failed.length === 0) return ok('done');
  return err({
    level: 'warn',
    message: `POST for ${showPath(ev.absPath)} failed: ${failed.join('; ')}`,
  });
}
