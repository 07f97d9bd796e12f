#!/usr/bin/env node
// Runs the compiled node:test files (dist/test/<kind>/**/*.test.js) with explicit file lists,
// because Node 20 treats `node --test DIR` arguments as paths and Node 21+ as globs.
// Usage: node scripts/run-tests.js [unit|integration]...   (default: both)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const kinds = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['unit', 'integration'];
function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : name.endsWith('.test.js') ? [p] : [];
  });
}
let status = 0;
for (const kind of kinds) {
  const files = find(join('dist', 'test', kind)).sort();
  if (files.length === 0) {
    console.error(`no ${kind} test files found under dist/test/${kind}`);
    status = 1;
    continue;
  }
  // Unit tests run in parallel; integration tests one file at a time (real daemons, real rsync).
  const conc = kind === 'integration' ? ['--test-concurrency=1'] : [];
  console.log(`\n# ${kind}: ${files.length} files`);
  const r = spawnSync(process.execPath, ['--test', ...conc, '--test-reporter=spec', ...files], {
    stdio: 'inherit',
  });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
