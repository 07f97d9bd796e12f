// Property tests: thousands of random mutations of the sersync template, and random bytes, never
// make the loader throw; the outcome is always a config or an 'invalid' failure with located issues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIssue } from '../../../src/config/issues.js';
import { ANYTHING_EXISTS, parse, TEMPLATE } from './support.js';
import type { Loaded, LoadFailure } from '../../../src/config/load.js';
import type { Result } from '../../../src/util/result.js';

const VALUES = [
  '',
  ' ',
  '-1',
  '0',
  'abc',
  'TRUE',
  'true',
  'false',
  '((',
  '"',
  '&amp;',
  '&#0;',
  '\u0000',
  '99999999999999999999',
  '/',
  '..',
  'a)|(b',
  "'",
  '\\',
  '同步',
];
const SNIPPETS = [
  '<',
  '>',
  '/>',
  '</sersync>',
  '<localpath watch="/x">',
  '<remote ip="a" name="b"/>',
  '<plugin name="socket">',
  '<!--',
  '-->',
  '<![CDATA[',
  ']]>',
  '<?x?>',
  '&',
  '&lt;',
  '"',
  "'",
  '=',
  '<daemon quietMs="9"/>',
  '<!DOCTYPE head>',
];

type Mutation = (s: string) => string;

const at = (s: string, f: number): number => Math.floor(f * (s.length + 1));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(40)).map(
    ([f, n]): Mutation =>
      (s) =>
        s.slice(0, at(s, f)) + s.slice(at(s, f) + n),
  ),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...SNIPPETS)).map(
    ([f, t]): Mutation =>
      (s) =>
        s.slice(0, at(s, f)) + t + s.slice(at(s, f)),
  ),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ maxLength: 8 })).map(
    ([f, t]): Mutation =>
      (s) =>
        s.slice(0, at(s, f)) + t + s.slice(at(s, f)),
  ),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(60)).map(
    ([f, n]): Mutation =>
      (s) =>
        s.slice(0, at(s, f) + n) + s.slice(at(s, f)),
  ),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(60)).map(
    ([f, n]): Mutation =>
      (s) =>
        s.slice(0, at(s, f)) +
        s.slice(at(s, f), at(s, f) + n).toUpperCase() +
        s.slice(at(s, f) + n),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...VALUES)).map(([k, v]): Mutation => (s) => {
    const quotes = [...s.matchAll(/="[^"]*"/g)];
    const m = quotes.length === 0 ? undefined : quotes[k % quotes.length];
    return m?.index === undefined
      ? s
      : `${s.slice(0, m.index)}="${v}"${s.slice(m.index + m[0].length)}`;
  }),
);

function checkOutcome(r: Result<Loaded, LoadFailure>): void {
  if (r.ok) {
    assert.ok(Object.isFrozen(r.value.config));
    assert.ok(r.value.warnings.every((w) => w.severity === 'warning'));
    return;
  }
  if (r.error.kind !== 'invalid') assert.fail(`expected kind invalid, got ${r.error.kind}`);
  assert.ok(r.error.issues.some((i) => i.severity === 'error'));
  for (const i of r.error.issues) {
    assert.ok(
      Number.isInteger(i.line) && i.line >= 1 && Number.isInteger(i.col) && i.col >= 1,
      formatIssue(i),
    );
    assert.ok(i.path.length > 0 && i.message.length > 0);
  }
}

test('random mutations of the template never throw', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const text = ms.reduce((s, m) => m(s), TEMPLATE);
      checkOutcome(parse(text, ANYTHING_EXISTS));
    }),
    { numRuns: 3000 },
  );
});

test('random bytes never throw and are reported as invalid', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const r = parse(bytes, ANYTHING_EXISTS);
      checkOutcome(r);
      assert.equal(r.ok, false);
    }),
    { numRuns: 1000 },
  );
});

test('random byte flips of the encoded template never throw', () => {
  const base = new TextEncoder().encode(TEMPLATE);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      (flips) => {
        const bytes = Uint8Array.from(base);
        for (const [i, b] of flips) bytes[i] = b;
        checkOutcome(parse(bytes, ANYTHING_EXISTS));
      },
    ),
    { numRuns: 1000 },
  );
});
