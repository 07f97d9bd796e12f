// The `<host hostip port>` endpoint: GET /healthz, /status (JSON) and /metrics (Prometheus text)
// over node:http, on loopback unless explicitly allowed otherwise. Shell: it only moves data
// from a StatusSource to HTTP responses. Endpoints and fields: docs/status.md.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { redact, type Logger } from '../log.js';
import { err, ok, type Result } from '../util/result.js';
import { showRawBytes } from '../log-bytes.js';
import { displayReport, type StatusSource } from './report.js';

export type { Health, RemoteStatus, ServiceState, StatusReport, StatusSource } from './report.js';

export interface StatusServerOptions {
  /** `<host hostip>`. `localhost` means 127.0.0.1. Must be a loopback address unless `allowRemote`. */
  readonly host: string;
  /** `<host port>`; 0 picks a free port (tests). */
  readonly port: number;
  readonly source: StatusSource;
  readonly logger: Logger;
  /**
   * Bind a non-loopback address too. Off by default: the endpoints have no authentication and
   * no TLS, so exposing them belongs behind a reverse proxy (docs/status.md).
   */
  readonly allowRemote?: boolean;
  /**
   * Strings that must never appear in a response (passwords); replaced by `***` as a second line of
   * defence. A function is asked at each request (the daemon's logger's current list).
   */
  readonly secrets?: readonly string[] | (() => readonly string[]);
}

/** A running status server. */
export interface StatusServer {
  /** The bound address and port (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  /** Stops listening and drops open connections (keep-alive included). Idempotent. */
  close(): Promise<void>;
}

/** Why the server did not start. Expected failures: the daemon logs them and runs on without it. */
export type StatusServerError =
  | { readonly kind: 'not-loopback'; readonly host: string; readonly message: string }
  | { readonly kind: 'bad-address'; readonly host: string; readonly message: string }
  | { readonly kind: 'bad-port'; readonly port: number; readonly message: string }
  | { readonly kind: 'listen-failed'; readonly code: string; readonly message: string };

/**
 * Checks `<host hostip>` before binding. `localhost` (sersync's default) maps to 127.0.0.1 so the
 * bind does not depend on /etc/hosts order; other names are refused (no DNS at start-up).
 * Pure.
 */
export function checkBindAddress(
  host: string,
  allowRemote = false,
): Result<string, StatusServerError> {
  const h = host.trim().toLowerCase();
  const addr =
    h === 'localhost' ? '127.0.0.1' : h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (isIP(addr) === 0) {
    return err({
      kind: 'bad-address',
      host,
      message: `status endpoint: hostip "${host}" is not an IP address or localhost`,
    });
  }
  if (isLoopback(addr) || allowRemote) return ok(addr);
  return err({
    kind: 'not-loopback',
    host,
    message: `status endpoint: refusing to listen on ${host}: not a loopback address (the endpoints have no authentication)`,
  });
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x. Pure. */
export function isLoopback(addr: string): boolean {
  const a = addr.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.split('.')[0] === '127';
}

const ROUTES = ['/healthz', '/status', '/metrics'] as const;
type Route = (typeof ROUTES)[number];

/**
 * Starts the status server. Resolves once it listens, or with an error value when the address is
 * refused or the port cannot be bound (in use, no permission). Never throws for those.
 * The listening socket does not keep the process alive on its own (unref'd): the daemon owns the
 * process lifetime and calls `close()` when it stops.
 */
export async function startStatusServer(
  opts: StatusServerOptions,
): Promise<Result<StatusServer, StatusServerError>> {
  const addr = checkBindAddress(opts.host, opts.allowRemote ?? false);
  if (!addr.ok) return addr;
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    return err({
      kind: 'bad-port',
      port: opts.port,
      message: `status endpoint: port ${opts.port} is not in 0..65535`,
    });
  }
  const given = opts.secrets ?? [];
  const secrets = typeof given === 'function' ? given : () => given;
  const { logger, source } = opts;

  const server = createServer((req, res) => {
    void handle(req, res, source, secrets(), logger);
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;

  const listened = await new Promise<Result<number, StatusServerError>>((resolve) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const code = e.code ?? 'UNKNOWN';
      resolve(
        err({
          kind: 'listen-failed',
          code,
          message: `status endpoint: cannot listen on ${addr.value}:${opts.port}: ${code}`,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: addr.value, port: opts.port, exclusive: true }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(ok(typeof a === 'object' && a !== null ? a.port : opts.port));
    });
  });
  if (!listened.ok) return listened;
  server.unref();
  server.on('error', (e) => {
    logger.error(`status endpoint: ${e.message}`);
  });
  const shown = addr.value.includes(':') ? `[${addr.value}]` : addr.value;
  logger.info(`status endpoint on http://${shown}:${listened.value} (${ROUTES.join(' ')})`);

  let closing: Promise<void> | undefined;
  return ok({
    host: addr.value,
    port: listened.value,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  source: StatusSource,
  secrets: readonly string[],
  logger: Logger,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = ROUTES.find((r) => r === path);
  if (route === undefined) {
    send(
      res,
      req,
      404,
      'text/plain; charset=utf-8',
      `not found; try ${ROUTES.join(', ')}\n`,
      secrets,
    );
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, req, 405, 'text/plain; charset=utf-8', 'method not allowed\n', secrets);
    return;
  }
  let reply: { status: number; type: string; body: string };
  try {
    reply = await answer(route, source);
  } catch (e) {
    // A bug in a status probe must not take the sync service down with it; it is logged loudly.
    logger.error(
      `Internal error in status endpoint ${route}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    reply = {
      status: 500,
      type: 'text/plain; charset=utf-8',
      body: 'internal error (see the service log)\n',
    };
  }
  send(res, req, reply.status, reply.type, reply.body, secrets);
}

async function answer(
  route: Route,
  source: StatusSource,
): Promise<{ status: number; type: string; body: string }> {
  switch (route) {
    case '/healthz': {
      const h = source.health();
      return { status: h.ok ? 200 : 503, type: 'text/plain; charset=utf-8', body: `${h.reason}\n` };
    }
    case '/status':
      return {
        status: 200,
        type: 'application/json; charset=utf-8',
        body: `${JSON.stringify(displayReport(source.status()), null, 2)}\n`,
      };
    case '/metrics':
      return {
        status: 200,
        type: source.metrics.contentType,
        body: await source.metrics.metrics(),
      };
  }
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  type: string,
  body: string,
  secrets: readonly string[],
): void {
  // A raw byte (a root in /healthz's reason or a metric label) as `\xfc`, never U+FFFD.
  const text = showRawBytes(secrets.length === 0 ? body : redact(body, secrets));
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(req.method === 'HEAD' ? undefined : text);
}
