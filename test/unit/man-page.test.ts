// man/sersync.1 (installed through package.json "man") names every option `sersync -h` lists,
// and package.json points at it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { helpText } from '../../src/cli-args.js';

// dist/test/unit -> the checkout root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('the man page documents every long option of the help text', () => {
  const man = readFileSync(join(ROOT, 'man', 'sersync.1'), 'utf8');
  const plain = man.replace(/\\-/g, '-');
  const options = [...new Set(helpText().match(/--[a-z][a-z-]+/g) ?? [])];
  assert.ok(options.length >= 9, options.join(' '));
  for (const o of options) assert.ok(plain.includes(o), `man/sersync.1 mentions ${o}`);
  assert.match(man, /^\.TH SERSYNC 1 /m);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man?: string[] };
  assert.deepEqual(pkg.man, ['./man/sersync.1']);
});
