// Shell-like word splitting: what a POSIX shell would pass as argv, without expanding anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitWords } from '../../../src/config/words.js';

const OK: readonly (readonly [string, readonly string[]])[] = [
  ['', []],
  ['   ', []],
  ['-artuz', ['-artuz']],
  ['  -a  -r\t-z\n', ['-a', '-r', '-z']],
  [`-e 'ssh -p 22'`, ['-e', 'ssh -p 22']],
  [`-e "ssh -p 22"`, ['-e', 'ssh -p 22']],
  [`--rsh="ssh -o 'A B'"`, [`--rsh=ssh -o 'A B'`]],
  [`a'b'"c"d`, ['abcd']],
  [`'' ""`, ['', '']],
  [`a\\ b`, ['a b']],
  [`\\'x`, [`'x`]],
  [`"a\\"b"`, ['a"b']],
  [`"a\\$b \\\\ \\x"`, ['a$b \\ \\x']],
  [`'a\\b'`, ['a\\b']],
  ['$HOME ~ *.php `id` $(id)', ['$HOME', '~', '*.php', '`id`', '$(id)']],
  ['a\\\nb', ['ab']],
];

for (const [input, words] of OK) {
  test(`splitWords(${JSON.stringify(input)})`, () => {
    assert.deepEqual(splitWords(input), { ok: true, value: words });
  });
}

const BAD: readonly (readonly [string, number])[] = [
  [`-e 'ssh`, 3],
  [`-e "ssh`, 3],
  [`"a\\"`, 0],
  ['abc\\', 3],
];

for (const [input, index] of BAD) {
  test(`splitWords(${JSON.stringify(input)}) is an error at offset ${index}`, () => {
    const r = splitWords(input);
    if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
    assert.equal(r.error.index, index);
  });
}
