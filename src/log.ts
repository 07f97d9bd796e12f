// Operator log: `YYYY-MM-DD HH:mm:ss [level] message`, one line per action. Shell: our own, each
// line one string written straight to a Writable (stdout, a caller's stream, or the log file),
// in call order; no logging library (winston cost the idle service ~9 MB, issue 16).
// Under journald (stdout is the journal stream named by JOURNAL_STREAM) a line is
// `<N>[level] message`: syslog priority N for the journal, no timestamp of ours. `json` format:
// one `{"time","level","message"}` object per line.
// Secrets (passwords, password-file contents) must never be passed in a message; as a second
// line of defence, createLogger() replaces every known secret by `***` in every line it writes.
// A file log can be reopened (SIGUSR1, for logrotate's `postrotate`): see ReopenableFile (log-file.ts).
// Names are bytes: modules show a path with displayName() (`good\xfc.txt`); as the one place that
// sees every line, createLogger() also writes any raw byte left in a message (a lone surrogate of a
// BytePath interpolated as it is) as `\xfc`, never as the U+FFFD a UTF-8 stream would make of it.
import { fstatSync } from 'node:fs';
import { createClock } from './log-clock.js';
import { ReopenableFile } from './log-file.js';
import { showRawBytes } from './log-bytes.js';
import { createSecretBook } from './log-secrets.js';
import { terminalLine } from './util/terminal-line.js';

export { LOG_FILE_MODE } from './log-file.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';

/** syslog(3) priorities, as journald reads a `<N>` line prefix (sd-daemon(3)). */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = {
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
};

/**
 * Whether `JOURNAL_STREAM` (systemd.exec(5): `DEVICE:INODE` of the stream systemd connected to
 * stdout/stderr) names the file `st` describes. Pure.
 */
export function isJournalStream(
  journalStream: string | undefined,
  st: { readonly dev: bigint; readonly ino: bigint },
): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  return m !== null && BigInt(m[1] ?? '') === st.dev && BigInt(m[2] ?? '') === st.ino;
}

/** Whether file descriptor `fd` is the journal stream of this service (false when unknown). */
export function fdIsJournal(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['JOURNAL_STREAM'] === undefined) return false;
  try {
    return isJournalStream(env['JOURNAL_STREAM'], fstatSync(fd, { bigint: true }));
  } catch {
    return false;
  }
}

export interface LineStyle {
  readonly format: LogFormat;
  /** journald: `<N>` prefix, no timestamp, newlines inside a message escaped. */
  readonly journal: boolean;
}

/**
 * One log line without its newline. `time` is the local `YYYY-MM-DD HH:mm:ss` (text) or the ISO
 * time (json); neither is written under journald, which stamps every entry itself. Pure.
 */
export function formatLine(
  style: LineStyle,
  level: LogLevel,
  message: string,
  time: { readonly local: string; readonly iso: string },
): string {
  if (style.format === 'json') {
    const body = JSON.stringify(
      style.journal ? { level, message } : { time: time.iso, level, message },
    );
    return style.journal ? `<${SYSLOG_PRIORITY[level]}>${body}` : body;
  }
  // journald splits entries at a newline: escape it so every piece keeps its priority.
  if (style.journal)
    return `<${SYSLOG_PRIORITY[level]}>[${level}] ${message.replace(/\n/g, '\\n')}`;
  return `${time.local} [${level}] ${message}`;
}

/** The logging interface every module takes (injected; tests pass a recording logger). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  readonly level: LogLevel;
  /**
   * The daemon's logger: asks its secret source again (the password file may have changed), so a
   * new secret is redacted from the next line on. The runner calls it before each rsync run.
   */
  readonly refreshSecrets?: () => void;
  /** The daemon's logger: the secrets it redacts now (the status endpoint redacts the same). */
  readonly secrets?: () => readonly string[];
}

export { REDACTED, collectSecrets, redact } from './log-secrets.js';
export { showRawBytes } from './log-bytes.js';

export interface CreateLoggerOptions {
  /** Lowest level written: `debug` when the config has `<debug start="true">`, else `info`. */
  readonly level: LogLevel;
  /** Append to this file. Without it lines go to `stream` (default: stdout). */
  readonly file?: string;
  /** Written over instead of stdout when `file` is not set (tests pass an in-memory stream). */
  readonly stream?: NodeJS.WritableStream;
  /** Strings that must never appear in a line (passwords, password-file contents). */
  readonly secrets: readonly string[];
  /** More of them, asked now and at each `refreshSecrets()` (log-secrets.ts `configSecrets`). */
  readonly secretSource?: () => readonly string[];
  /** Default `text`. */
  readonly format?: LogFormat;
  /**
   * Write journald lines. Default: when writing to stdout (no `file`, no `stream`), whether
   * stdout is the journal stream (JOURNAL_STREAM); a file or a caller's stream: false.
   */
  readonly journal?: boolean;
  /**
   * Called before each line written to a terminal, so a `-r` progress line on the same screen is
   * cleared first (src/sync/progress.ts). Default: that board's.
   */
  readonly terminalLine?: { readonly clear: () => void };
}

/** A Logger that can flush its output before the process exits. */
export interface ClosableLogger extends Logger {
  /** Flushes and closes the output. Logging after it is a no-op. */
  close(): Promise<void>;
  /**
   * File logger: closes the log file and opens its path again (creating it when it was renamed
   * away), so lines written from now on go to a fresh file there: what logrotate's
   * `postrotate kill -USR1` expects. When the path cannot be opened, keeps writing to the old file
   * and logs a warning there. Stream logger (stdout): does nothing, returns false.
   * Returns whether a new file is open. Lines already handed to the logger before the call may
   * still land in the old file; none is lost.
   */
  reopen(): boolean;
  /** SIGHUP: redact what `source` (the new config's secrets) returns too; nothing known is forgotten. */
  setSecretSource(source: () => readonly string[]): void;
}

/** The 'error' listener createLogger adds to its output (once per stream). */
function ignore(): void {
  // Nothing to do: the failed line is dropped.
}

/** Level ranks: a line is written when its rank is at most the logger's. */
const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Where the lines go: a file, the caller's stream, or stdout (whose guard runs on a terminal). */
interface Output {
  readonly stream: NodeJS.WritableStream;
  readonly guard: { readonly clear: () => void } | undefined;
  readonly file: ReopenableFile | undefined;
}

function openOutput(opts: CreateLoggerOptions): Output {
  // The constructor throws when the file cannot be opened (the caller reports it).
  if (opts.file !== undefined) {
    const file = new ReopenableFile(opts.file);
    return { stream: file, guard: undefined, file };
  }
  if (opts.stream !== undefined) return { stream: opts.stream, guard: undefined, file: undefined };
  // TTY writes are synchronous: the guard's clearing and the line reach the screen in order.
  const guard = process.stdout.isTTY ? (opts.terminalLine ?? terminalLine) : undefined;
  return { stream: process.stdout, guard, file: undefined };
}

/**
 * The daemon's logger: `2026-01-31 12:00:00 [info] message` lines, local time, each written as
 * one string straight to the output (a Writable: a file's are synchronous writes, stdout's are
 * buffered by the stream under backpressure), in call order. Every message, at every level, is
 * passed through the secret book's `redact` before it is formatted, so no configured secret is
 * ever written, not even in debug output. A failed write (EPIPE on stdout, a full disk) drops the
 * line: the stream's error is swallowed here, never thrown into the caller.
 */
export function createLogger(opts: CreateLoggerOptions): ClosableLogger {
  const secrets = createSecretBook(opts.secrets, opts.secretSource);
  const toStdout = opts.file === undefined && opts.stream === undefined;
  const out = openOutput(opts);
  const style: LineStyle = {
    format: opts.format ?? 'text',
    journal: opts.journal ?? (toStdout && fdIsJournal(1)),
  };
  const iso = style.format === 'json' && !style.journal;
  const clock = createClock();
  const time = { local: '', iso: '' }; // one object, refilled for each line
  const max = RANK[opts.level];
  let closed: Promise<void> | undefined;
  let pending = 0; // lines handed to the stream whose write callback has not run yet
  let drained: (() => void) | undefined;
  const written = (): void => {
    pending -= 1;
    if (pending === 0) drained?.();
  };
  // EPIPE, EIO: the line is lost, the daemon is not (an unhandled 'error' would kill it).
  if (!out.stream.listeners('error').includes(ignore)) out.stream.on('error', ignore);
  const write = (level: LogLevel, message: string): void => {
    if (closed !== undefined || RANK[level] > max) return;
    time.local = style.journal ? '' : clock();
    if (iso) time.iso = new Date().toISOString();
    const line = formatLine(style, level, showRawBytes(secrets.redact(message)), time);
    try {
      out.guard?.clear();
      out.stream.write(`${line}\n`, written);
      pending += 1;
    } catch {
      // A stream that throws instead of erroring: the line is dropped (see above).
    }
  };
  const flushAndClose = async (): Promise<void> => {
    if (pending > 0)
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    // stdout / the caller's stream stays open: it is not ours to end. Our file: closes its fd.
    const file = out.file;
    if (file !== undefined)
      await new Promise<void>((resolve) => {
        file.end(() => {
          resolve();
        });
      });
  };
  const at =
    (level: LogLevel) =>
    (message: string): void => {
      write(level, message);
    };
  return {
    level: opts.level,
    refreshSecrets: secrets.refresh,
    secrets: secrets.list,
    setSecretSource: secrets.setSource,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    reopen: () => {
      if (out.file === undefined || closed !== undefined) return false;
      const r = out.file.reopen();
      if (!r.ok)
        write(
          'warn',
          `cannot reopen the log file ${opts.file ?? ''}: ${r.message}; still writing to the previous file`,
        );
      return r.ok;
    },
    close: () => (closed ??= flushAndClose()),
  };
}
