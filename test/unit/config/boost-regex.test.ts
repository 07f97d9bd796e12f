// Boost perl syntax -> JS (config/boost-regex.ts): each row is an expression, a subject and
// whether Boost's regex_match (a FULL match, sersync 2.5.4's C locale) accepts it; then the
// expressions that cannot be translated, with the reason given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateBoost } from '../../../src/config/boost-regex.js';
import { decodeName } from '../../../src/util/byte-names.js';

const full = (expr: string): RegExp => {
  const r = translateBoost(expr);
  if (!r.ok) throw new Error(`${expr}: ${r.error.message}`);
  return new RegExp(`^(?:${r.value})$`);
};

// [expression, subject, regex_match result]
const MATCHES: [string, string, boolean][] = [
  // the template's rules and rules from the wild
  ['(.*)\\.svn', 'a/b/.svn', true],
  ['(.*)\\.gz', 'x.gzip', false],
  ['^info/*', 'info', true],
  ['^info/*', 'info/', true],
  ['^info/*', 'infoX', false],
  ['/keep/.*', '/keep/x', true],
  ['/keep/.*', 'keep/x', false],
  ['(.*)/cache/(.*)', '/a/cache/b', true],
  // leading inline flags and scoped modifiers
  ['(?i).*\\.LOG', 'app.log', true],
  ['(?i).*\\.LOG', 'App.LoG', true],
  ['(?i).*\\.LOG', 'app.log.gz', false],
  ['.*\\.LOG', 'app.log', false],
  ['(?i:ab)c', 'ABc', true],
  ['(?i:ab)c', 'ABC', false],
  ['a(?i)b|c', 'aB', true],
  ['a(?i)b|c', 'C', true],
  ['(?i)[^a]', 'A', false],
  ['(?i)[a-c]+', 'AbC', true],
  ['(?i)[[:lower:]]', 'Q', true],
  ['(?x) a b  c # a comment', 'abc', true],
  ['(?x) a\\ b', 'a b', true],
  ['(?x)[ ]', ' ', true],
  // POSIX classes, C locale (ASCII only)
  ['tmp[[:digit:]]+', 'tmp123', true],
  ['tmp[[:digit:]]+', 'tmp', false],
  ['tmp[[:digit:]]+', 'tmpx1', false],
  ['[[:alpha:]]+', 'abcXYZ', true],
  ['[[:alpha:]]+', 'ab1', false],
  ['[[:alpha:]]', 'é', false],
  ['[[:alnum:]_-]+', 'a_1-B', true],
  ['[[:space:]]', '\u000b', true],
  ['[[:space:]]', '\u00a0', false],
  ['[[:blank:]]', '\t', true],
  ['[[:blank:]]', '\n', false],
  ['[[:punct:]]', '!', true],
  ['[[:punct:]]', 'a', false],
  ['[[:xdigit:]]+', 'c0FFee', true],
  ['[[:upper:]][[:lower:]]+', 'Readme', true],
  ['[[:cntrl:]]', '\u007f', true],
  ['[[:print:]]', ' ', true],
  ['[[:graph:]]', ' ', false],
  ['[[:word:]]+', 'a_1', true],
  ['[^[:digit:]]+', 'abc', true],
  ['[^[:digit:]]+', 'ab1', false],
  ['[[:DIGIT:]]', '7', true],
  ['[[=a=]-c]+', 'abc', true],
  ['[[.-.]a]+', 'a-a', true],
  // class escapes, Boost's meaning (\s is [[:space:]], not JS's Unicode \s)
  ['a\\sb', 'a\u000bb', true],
  ['a\\sb', 'a\u00a0b', false],
  ['\\d+', '0123', true],
  ['\\w+', 'a_Z9', true],
  ['\\l+', 'abc', true],
  ['\\l+', 'aBc', false],
  ['\\u\\l+', 'Abc', true],
  ['\\h', '\t', true],
  ['\\H', '\t', false],
  ['\\p{alpha}+', 'abc', true],
  ['\\pd', '5', true],
  ['\\P{digit}', '5', false],
  ['[\\w.-]+', 'a.b-c', true],
  ['[\\d-z]+', '1-z', true],
  // word boundaries
  ['\\<foo\\>', 'foo', true],
  ['.*\\<foo\\>.*', 'a foo b', true],
  ['.*\\<foo\\>.*', 'afoob', false],
  ['.*\\bfoo\\b.*', 'a.foo.b', true],
  // buffer anchors, line anchors (Boost's ^ $ match at line breaks), dot matches a newline
  ['\\Aab\\z', 'ab', true],
  ["\\`ab\\'", 'ab', true],
  ['a\\Z\\n', 'a\n', true],
  ['\\Gab', 'ab', true],
  ['a.b', 'a\nb', true],
  ['(?-s)a.b', 'a\nb', false],
  ['(?s)a.b', 'a\nb', true],
  ['a\\n^b$', 'a\nb', true],
  ['(?-m)a\\n^b', 'a\nb', false],
  ['a$\\nb', 'a\nb', true],
  // quoting and character escapes
  ['\\Qa.b*\\E', 'a.b*', true],
  ['\\Qa.b*\\E', 'axbbb', false],
  ['\\Qa.b', 'a.b', true],
  ['\\x41\\x{42}\\0103', 'ABC', true],
  ['\\e\\a', '\u001b\u0007', true],
  ['\\cA', '\u0001', true],
  ['\\$\\(id\\)', '$(id)', true],
  ['a\\/b', 'a/b', true],
  // brackets: ] first is a literal
  ['[]a]+', ']a]', true],
  ['[^]a]', 'b', true],
  ['[^]a]', ']', false],
  // quantifiers: lazy, possessive, atomic groups (regex_match still needs the whole subject)
  ['a{2,3}', 'aaa', true],
  ['a{2,3}', 'aaaa', false],
  ['a{2}b{1,}', 'aabbb', true],
  ['a*?b', 'aab', true],
  ['a*a', 'aaa', true],
  ['a*+a', 'aaa', false],
  ['a++b', 'aab', true],
  ['a?+a', 'a', false],
  ['a{1,3}+a', 'aaa', false],
  ['(?>a*)a', 'aaa', false],
  ['(?>\\d+)x', '12x', true],
  ['(?>a|ab)c', 'abc', false],
  ['(?:a|ab)c', 'abc', true],
  ['a|ab', 'ab', true],
  ['x{', 'x{', true],
  // groups, back-references (numbering survives the atomic emulation), comments
  ['(a|b)\\1', 'aa', true],
  ['(a|b)\\1', 'ab', false],
  ['(?>(a))\\1', 'aa', true],
  ['a*+(b)\\1', 'aabb', true],
  ['(a)(b)\\g{-1}', 'abb', true],
  ['(a)\\g1', 'aa', true],
  ['(a)\\12', 'aa2', true],
  ['(?<n>x)\\k<n>', 'xx', true],
  ["(?'n'x)\\k'n'", 'xx', true],
  ['(?P<n>x)(?P=n)', 'xx', true],
  ['(?#a comment)abc', 'abc', true],
  ['(?=a)\\w+', 'ab', true],
  ['(?!a)\\w+', 'ab', false],
  ['.*(?<=\\.)php', 'x.php', true],
  ['.*(?<!\\.)php', 'x.php', false],
];

for (const [expr, subject, want] of MATCHES) {
  test(`Boost regex_match(${JSON.stringify(subject)}, ${JSON.stringify(expr)}) is ${want}`, () => {
    assert.equal(full(expr).test(subject), want);
  });
}

// [expression, part of the reason]
const REJECTED: [string, RegExp][] = [
  ['[[:^alpha:]]', /no negated POSIX classes/],
  ['[[:nosuch:]]', /unknown character class/],
  ['\\p{nosuch}', /unknown character class name/],
  ['[[.space.]]', /only single characters/],
  ['(?R)', /recursion/],
  ['(a)(?1)', /recursion/],
  ['(?&n)', /recursion/],
  ['(?(1)a|b)', /conditionals/],
  ['(?|a|b)', /branch reset/],
  ['(*FAIL)', /backtracking verbs/],
  ['\\X', /cannot be translated/],
  ['\\N{space}', /cannot be translated/],
  ['(?i)(a)\\1', /back-reference under \(\?i\)/],
  ['(?z)a', /unknown modifier "z"/],
  ['[z-a]', /out of order/],
  ['a{3,2}', /out of order/],
  ['[a', /"\[" has no closing "\]"/],
  ['(a', /"\(" has no closing "\)"/],
  ['a)', /unmatched "\)"/],
  ['*a', /nothing to repeat/],
  ['a**', /quantifier cannot follow a quantifier/],
  ['a\\', /lone backslash/],
  ['(?<n>a)(?<n>b)', /used twice/],
  ['\\x{110000}', /beyond/],
  ['\\2(a)', /refers to group 2/],
];

for (const [expr, why] of REJECTED) {
  test(`not translatable: ${JSON.stringify(expr)}`, () => {
    const r = translateBoost(expr);
    if (r.ok) assert.fail(`translated to ${r.value}`);
    assert.match(r.error.message, why);
    assert.ok(r.error.index >= 0 && r.error.index <= expr.length);
  });
}

test('translations are readable and need no flags', () => {
  const r = translateBoost('(?i).*\\.LOG');
  assert.deepEqual(r, { ok: true, value: '(?:[\\s\\S])*\\.[Ll][Oo][Gg]' });
  assert.deepEqual(translateBoost('tmp[[:digit:]]+'), { ok: true, value: 'tmp(?:[0-9])+' });
});

// Names are bytes: the subject is a BytePath, where a byte that is not part of valid UTF-8 is
// U+DC00 + byte. [expression, subject bytes (latin1 here = one char per byte), regex_match].
const bytePath = (latin1: string): string => decodeName(Buffer.from(latin1, 'latin1'));
const BYTE_MATCHES: [string, string, boolean][] = [
  ['good\\xfc\\.txt', 'good\xfc.txt', true], // Latin-1 ü, raw
  ['good\\xfc\\.txt', 'good\xc3\xbc.txt', false], // UTF-8 ü is another name (as in sersync)
  ['good\\xc3\\xbc\\.txt', 'good\xc3\xbc.txt', true], // the bytes of UTF-8 ü
  ['good\\xc3\\xbc\\.txt', 'good\xfc.txt', false],
  ['goodü\\.txt', 'good\xc3\xbc.txt', true], // UTF-8 text in a rule matches UTF-8 names
  ['goodü\\.txt', 'good\xfc.txt', false],
  ['good\\x{fc}\\.txt', 'good\xc3\xbc.txt', true], // \x{…} is a character
  ['.*\\.txt', 'good\xfc.txt', true], // . matches a raw byte
  ['[^/]*', '\xc4\xe3\xba\xc3', true], // so does a negated class
  ['\\xc4\\xe3\\xba\\xc3', '\xc4\xe3\xba\xc3', true], // GBK 你好, raw bytes
  ['\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd', '\xe4\xbd\xa0\xe5\xa5\xbd', true], // UTF-8 你好 as bytes
  ['你好', '\xe4\xbd\xa0\xe5\xa5\xbd', true],
  ['你好', '\xc4\xe3\xba\xc3', false],
  ['.*[\\x80-\\xff].*', 'caf\xe9', true], // any raw byte
  ['.*[\\x80-\\xff].*', 'cafe', false],
  ['[\\xe9\\xfc]+', '\xe9\xfc\xe9', true],
  ['\\0374', '\xfc', true], // octal byte escape
  ['(?i)CAF\\xe9', 'caf\xe9', true],
  ['\\xfc+', '\xfc\xfc\xfc', true],
  ['fotos\\xe9/.*', 'fotos\xe9/in\xc4', true],
];

for (const [expr, subject, want] of BYTE_MATCHES) {
  test(`bytes: ${JSON.stringify(expr)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(subject)}`, () => {
    assert.equal(full(expr).test(bytePath(subject)), want);
  });
}

test('a raw byte is written as an escape in the translation, never as a lone surrogate', () => {
  const r = translateBoost('a\\xfc[\\x80-\\xff]');
  assert.ok(r.ok);
  assert.equal(r.value, 'a\\udcfc[\\udc80-\\udcff]');
});
