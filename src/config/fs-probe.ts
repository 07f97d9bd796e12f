// The two file-system questions config validation asks: a real probe in load.ts, a fake in tests.
// Pure types.

/** The two file-system questions validation asks (a real one in load.ts, a fake in tests). */
export interface FsProbe {
  isDirectory(path: string): boolean;
  /** st_mode or undefined when missing */
  mode(path: string): number | undefined;
}
