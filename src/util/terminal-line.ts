// The terminal progress line currently on screen, if any (one per process): the `-r` progress
// board registers how to clear it, and the logger clears it before writing a line to the same
// terminal, so a log line never ends up glued to it. The next update draws it again below the
// log line; a sync whose result was just logged leaves no stale line behind. Shell state.

let active: (() => void) | undefined;

export const terminalLine = {
  /** Clears the line on screen, if any. */
  clear: (): void => {
    active?.();
  },
  /** The board drawing the line says how to clear it (undefined: nothing on screen). */
  set(clear: (() => void) | undefined): void {
    active = clear;
  },
  /** Whether `clear` is the one registered. */
  is(clear: () => void): boolean {
    return active === clear;
  },
};
