// A stand-in rsync the test controls (run by the service through SERSYNC_RSYNC): every batch run
// (one that reads a path list, `--files-from`) takes the next exit code from a list; a non-zero
// code makes it fail without transferring anything, 0 (or an exhausted list) execs the real rsync.
// Other runs (full syncs, `--version`) go straight to the real rsync.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StubRsync {
  /** The executable to put in SERSYNC_RSYNC. */
  readonly path: string;
  /** Batch runs so far (each consumed one code, or found the list exhausted). */
  batchRuns(): number;
  /** One line per batch run: `<n> <exit code> <argv…>`. */
  calls(): string[];
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Writes the stub into `dir` (created if missing). `codes[i]` is the exit code of batch run i+1.
 * Concurrent runs take distinct codes (the counter is updated under a mkdir lock).
 */
export function writeStubRsync(
  dir: string,
  codes: readonly number[],
  realRsync = 'rsync',
): StubRsync {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'rsync-stub');
  const counter = join(dir, 'count');
  const codesFile = join(dir, 'codes');
  const callsFile = join(dir, 'calls');
  writeFileSync(codesFile, codes.map((c) => `${c}\n`).join(''));
  const script = `#!/bin/sh
# Test stub for rsync: see test/helpers/stub-rsync.ts.
real=${shQuote(realRsync)}
case " $* " in
  *" --files-from"*) ;;
  *) exec "$real" "$@" ;;
esac
lock=${shQuote(join(dir, 'lock'))}
while ! mkdir "$lock" 2>/dev/null; do sleep 0.01; done
n=$(cat ${shQuote(counter)} 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > ${shQuote(counter)}
rmdir "$lock"
code=$(sed -n "\${n}p" ${shQuote(codesFile)})
code=\${code:-0}
echo "$n $code $*" >> ${shQuote(callsFile)}
if [ "$code" != 0 ]; then
  cat > /dev/null
  echo "rsync stub: failing batch run $n with exit $code" >&2
  exit "$code"
fi
exec "$real" "$@"
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return {
    path,
    batchRuns: () => Number(read(counter).trim() || '0'),
    calls: () =>
      read(callsFile)
        .split('\n')
        .filter((l) => l !== ''),
  };
}
