// The file-system questions config validation asks: a real probe in load.ts, a fake in tests.
// Pure types.

/** The two file-system questions validation asks (a real one in load.ts, a fake in tests). */
export interface FsProbe {
  isDirectory(path: string): boolean;
  /** st_mode or undefined when missing */
  mode(path: string): number | undefined;
  /** Whether this process can read `path` (access(2) R_OK: what rsync, run as this user, can). Absent: not asked. */
  readable?(path: string): boolean;
  /** st_uid of `path`, or undefined when missing. Absent: not asked. */
  owner?(path: string): number | undefined;
  /** The uid this process runs as (rsync's "owned by root when running as root" rule). Absent: not asked. */
  readonly uid?: number;
}
