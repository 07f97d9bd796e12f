// A Logger that records its lines in memory (`[level] message`), for tests that assert what an
// operator would read.
import type { Logger, LogLevel } from '../../src/log.js';

/** Records every line at or above `level` in `lines`. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const order: LogLevel[] = ['error', 'warn', 'info', 'debug'];
  const at =
    (l: LogLevel) =>
    (m: string): void => {
      if (order.indexOf(l) <= order.indexOf(level)) lines.push(`[${l}] ${m}`);
    };
  return {
    lines,
    level,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}
