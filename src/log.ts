// Operator log: `YYYY-MM-DD HH:mm:ss [level] message`, one line per action. Shell (winston).
// Secrets (passwords, password-file contents) must never be passed in a message.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The logging interface every module takes (injected; tests pass a recording logger). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  readonly level: LogLevel;
}

/** A logger that records lines in memory: for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const order: LogLevel[] = ['error', 'warn', 'info', 'debug'];
  const at = (l: LogLevel) => (m: string): void => {
    if (order.indexOf(l) <= order.indexOf(level)) lines.push(`[${l}] ${m}`);
  };
  return { lines, level, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
