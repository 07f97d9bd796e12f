// The package's version, read from its package.json (the same file `npm pack` ships). Shell.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** `version` of package.json (from dist/src/ or src/ alike: two levels up), read once. */
export function packageVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: unknown };
    cached = String(pkg.version);
  }
  return cached;
}
