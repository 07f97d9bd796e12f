// The refreshCDN plugin (ChinaCache-style purge API): the original's HEAD request, byte for byte,
// per event (docs/plugins.md "refreshCDN"). URL/request building and redaction are pure; the sender is a shell (node:net).
import { connect } from 'node:net';
import type { RefreshCdnPluginConfig } from '../config/types.js';
import { encodeName, percentEncode } from '../util/byte-names.js';
import { err, ok } from '../util/result.js';
import type { CallResult } from './plugin-queue.js';
import type { PluginEvent } from './plugin.js';
import { isWithin, showPath, trimSlash } from './plugin.js';

export type CdnLocalPath = RefreshCdnPluginConfig['localpaths'][number];

/** Reply bytes read at most (the original's recv buffer). */
const MAX_REPLY = 4_096;

/** `regexurl@match` compiled once, not per event (the loader already checked it compiles). */
const REGEX_CACHE = new Map<string, RegExp>();
function compiled(source: string): RegExp {
  let re = REGEX_CACHE.get(source);
  if (re === undefined) {
    re = new RegExp(source);
    REGEX_CACHE.set(source, re);
  }
  return re;
}

/**
 * The `&urls=<url>` (file) or `&dirs=<url>/` (directory) query part, as `PackagePath` builds it:
 * - regexurl regex="true": `base + m[1] + <text after the match>` of the first (unanchored) match
 *   of `match` in the absolute path; no match → undefined (nothing is sent);
 * - otherwise: `base + <absPath minus the watch prefix>` (a leading `/` stays).
 * The part taken from the path is percent-encoded byte for byte, `/` kept (percentEncode: a space
 * is `%20`, the raw byte 0xfc `%FC`, `é` `%C3%A9`), so no file name can break the request line;
 * the original sent the bytes as they were (docs/compat.md). `sendurl@base` is sent as written. Pure.
 */
export function cdnUrlPart(
  lp: CdnLocalPath,
  absPath: string,
  isDir: boolean,
  watch = lp.watch,
): string | undefined {
  let rest: string;
  if (lp.regexurl.regex) {
    const m = compiled(lp.regexurl.match).exec(absPath);
    if (m === null) return undefined;
    rest = (m[1] ?? '') + absPath.slice(m.index + m[0].length);
  } else {
    const w = trimSlash(watch);
    rest = w === '/' ? absPath : absPath.slice(w.length);
  }
  const base = lp.sendurlBase.replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const url = base + percentEncode(rest, true);
  return isDir ? `&dirs=${url}/` : `&urls=${url}`;
}

/** The whole request, exactly as the original sends it. Contains the password: never log it unredacted. Pure. */
export function cdnRequest(lp: CdnLocalPath, urlPart: string): string {
  const { username, passwd, domainname } = lp.cdninfo;
  return `HEAD /index.jsp?user=${username}&pswd=${passwd}&ok=ok${urlPart} HTTP/1.0\r\nHost: ${domainname}\r\n\r\n`;
}

/** Replaces the password (the `pswd=` value and any other occurrence) with `***`. Pure. */
export function redact(text: string, passwd: string): string {
  const t = passwd === '' ? text : text.split(passwd).join('***');
  return t.replace(/([?&]pswd=)[^&\s]*/g, '$1***');
}

/**
 * The status the original appended to errorlog.txt: the reply from `whatsup` to the end of that
 * line (we keep the last character the original dropped), or undefined when absent. Pure.
 */
export function whatsup(reply: string): string | undefined {
  const i = reply.indexOf('whatsup');
  if (i < 0) return undefined;
  const nl = reply.indexOf('\n', i);
  return (nl < 0 ? reply.slice(i) : reply.slice(i, nl)).replace(/\r$/, '');
}

/** The targets of one event: each localpath containing the path, with its URL part (undefined = regex miss). */
export function cdnTargets(
  cfg: RefreshCdnPluginConfig,
  ev: PluginEvent,
  watchOverride?: string,
): readonly { readonly lp: CdnLocalPath; readonly urlPart: string | undefined }[] {
  return cfg.localpaths
    .filter((lp) => isWithin(watchOverride ?? lp.watch, ev.absPath))
    .map((lp) => ({
      lp,
      urlPart: cdnUrlPart(lp, ev.absPath, ev.isDir, watchOverride ?? lp.watch),
    }));
}

/** Sends one request and reads the reply (≤ 4096 bytes, until `whatsup…\n`, or until the peer closes). */
function exchange(
  lp: CdnLocalPath,
  request: string,
  signal: AbortSignal,
): Promise<{ reply: string } | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const s = connect({ host: lp.cdninfo.domainname, port: lp.cdninfo.port });
    const done = (r: { reply: string } | { error: string }): void => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(r);
    };
    const onAbort = (): void => {
      done({ error: 'aborted' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const text = (): string => Buffer.concat(chunks).subarray(0, MAX_REPLY).toString('latin1');
    s.on('error', (e: NodeJS.ErrnoException) => {
      done({ error: e.code ?? e.message });
    });
    s.on('connect', () => {
      s.write(encodeName(request));
    });
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      const t = text();
      const w = t.indexOf('whatsup');
      if (size >= MAX_REPLY || (w >= 0 && t.indexOf('\n', w) >= 0)) done({ reply: t });
    });
    s.on('end', () => {
      done({ reply: text() });
    });
  });
}

/**
 * Sends the refresh for each target. The `whatsup…` line goes to `debug` (password redacted);
 * an unreachable endpoint or an HTTP status ≥ 400 is a `warn` failure. Nothing is written to a
 * file (the original appended errorlog.txt in the cwd).
 */
export async function runRefreshCdn(
  targets: ReturnType<typeof cdnTargets>,
  ev: PluginEvent,
  signal: AbortSignal,
  debug: (m: string) => void,
): Promise<CallResult> {
  const sendable = targets.filter(
    (t): t is { lp: CdnLocalPath; urlPart: string } => t.urlPart !== undefined,
  );
  if (sendable.length === 0) return ok('skipped');
  const problems = await Promise.all(
    sendable.map(async ({ lp, urlPart }) => {
      const request = cdnRequest(lp, urlPart);
      // Built with the password already masked, so only the peer's reply needs redacting.
      const masked = { ...lp, cdninfo: { ...lp.cdninfo, passwd: '***' } };
      const shown = cdnRequest(masked, urlPart).split('\r\n')[0] ?? '';
      const where = `${lp.cdninfo.domainname}:${lp.cdninfo.port}`;
      const r = await exchange(lp, request, signal);
      if ('error' in r) return `${where}: ${r.error} (${shown})`;
      const status = /^HTTP\/\d\.\d (\d{3})/.exec(r.reply)?.[1];
      const w = whatsup(r.reply);
      debug(
        `plugin refreshCDN: ${redact(w ?? `no whatsup in reply ${JSON.stringify(r.reply.split('\n')[0] ?? '')}`, lp.cdninfo.passwd)} ${shown}`,
      );
      if (status !== undefined && Number(status) >= 400)
        return `${where}: HTTP ${status} (${shown})`;
      return undefined;
    }),
  );
  const failed = problems.filter((p): p is string => p !== undefined);
  if (failed.length === 0) return ok('done');
  return err({
    level: 'warn',
    message: `refresh of ${showPath(ev.absPath)} failed: ${failed.join('; ')}`,
  });
}
