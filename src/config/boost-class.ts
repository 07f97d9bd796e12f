// Character sets of Boost.Regex's perl syntax as sersync 2.5.4 compiled them (narrow `char`, the C
// locale: every class is ASCII), as JS character classes: the POSIX names (`[[:digit:]]`), the
// class escapes (`\d \s \w \l \u \h` and negations), bracket expressions with ranges,
// `[=x=]` / `[.x.]`, and ASCII case folding for `(?i)`. Sets are code-unit ranges. Pure.
//
// Names are bytes: a byte escape (`\xHH`, `\0ooo`) >= 0x80 in a class is that raw byte of the
// BytePath subject, U+DC00 + byte (`[\x80-\xff]`: every raw byte); see boost-output.ts escapeText.

/** Inclusive code-unit ranges, sorted and merged. */
export type Ranges = readonly (readonly [number, number])[];

const MAX = 0xffff;
const r = (a: string, b = a): [number, number] => [a.charCodeAt(0), b.charCodeAt(0)];

/** Sorts and merges overlapping or adjacent ranges. */
export function normalise(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Every code unit not in `ranges`. */
export function complement(ranges: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of normalise(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

/** `ranges` plus the other case of every ASCII letter in it (Boost's icase in the C locale). */
export function foldCase(ranges: Ranges): Ranges {
  const extra: [number, number][] = [];
  const shift = (lo: number, hi: number, from: number, to: number, d: number): void => {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a <= b) extra.push([a + d, b + d]);
  };
  for (const [lo, hi] of ranges) {
    shift(lo, hi, 0x61, 0x7a, -0x20);
    shift(lo, hi, 0x41, 0x5a, 0x20);
  }
  return normalise([...ranges, ...extra]);
}

const DIGIT: Ranges = [r('0', '9')];
const LOWER: Ranges = [r('a', 'z')];
const UPPER: Ranges = [r('A', 'Z')];
const ALPHA: Ranges = [...UPPER, ...LOWER];
const ALNUM: Ranges = [...DIGIT, ...ALPHA];
const SPACE: Ranges = [r('\t', '\r'), r(' ')];
const GRAPH: Ranges = [[0x21, 0x7e]];
const WORD: Ranges = [...ALNUM, r('_')];

/** Boost's class names (`[[:name:]]`, `\p{name}`), with what they hold in the C locale. */
export const CLASS_NAMES: Readonly<Record<string, Ranges>> = {
  alnum: ALNUM,
  alpha: ALPHA,
  blank: [r('\t'), r(' ')],
  cntrl: [
    [0, 0x1f],
    [0x7f, 0x7f],
  ],
  d: DIGIT,
  digit: DIGIT,
  graph: GRAPH,
  l: LOWER,
  lower: LOWER,
  print: [[0x20, 0x7e]],
  punct: normalise(complement([...ALNUM, [0, 0x20], [0x7f, MAX]])),
  s: SPACE,
  space: SPACE,
  unicode: [[0x100, MAX]],
  u: UPPER,
  upper: UPPER,
  w: WORD,
  word: WORD,
  xdigit: [...DIGIT, r('A', 'F'), r('a', 'f')],
};

/** The class escapes (`\d` …) and their sets; the upper-case letter is the complement. */
const CLASS_ESCAPES: Readonly<Record<string, Ranges>> = {
  d: DIGIT,
  w: WORD,
  s: SPACE,
  l: LOWER,
  u: UPPER,
  h: [r('\t'), r(' ')],
};

/** The set of class escape letter `c` (`d`, `D`, …), or undefined when `c` is not one. */
export function classEscape(c: string): Ranges | undefined {
  const set = CLASS_ESCAPES[c.toLowerCase()];
  if (set === undefined) return undefined;
  return c === c.toLowerCase() ? set : complement(set);
}

/** The set of class name `name` (case-insensitive), or undefined. */
export function namedClass(name: string): Ranges | undefined {
  return Object.hasOwn(CLASS_NAMES, name.toLowerCase())
    ? CLASS_NAMES[name.toLowerCase()]
    : undefined;
}

/** A class member as source: letters, digits and `_` as they are (readable in logs), others \uXXXX. */
const hex4 = (n: number): string =>
  /^\w$/.test(String.fromCharCode(n))
    ? String.fromCharCode(n)
    : `\\u${n.toString(16).padStart(4, '0')}`;

/** A JS character class for `ranges` (never empty: an empty set never matches). */
export function renderClass(ranges: Ranges): string {
  const set = normalise(ranges);
  if (set.length === 0) return '(?!)';
  const first = set[0];
  if (set.length === 1 && first !== undefined && first[0] === 0 && first[1] === MAX)
    return '[\\s\\S]';
  const body = set.map(([lo, hi]) => (lo === hi ? hex4(lo) : `${hex4(lo)}-${hex4(hi)}`)).join('');
  return `[${body}]`;
}

/** Boost syntax this translator cannot carry over (or Boost itself refused): where and why. */
export class Untranslatable extends Error {
  readonly index: number;

  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

/** Something read from the expression and the index just after it. */
export interface Scan<T> {
  readonly value: T;
  readonly end: number;
}

const CONTROL: Readonly<Record<string, number>> = {
  a: 7,
  e: 0x1b,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
};
const HEX = /^[0-9a-fA-F]$/;

/**
 * The character a single-character escape stands for; `i` is the index of the letter after the
 * backslash. `\a \e \f \n \r \t \v`, `\xHH`, `\x{HHHH}`, `\0ooo`, `\cX`; undefined for others.
 */
export function charEscape(
  src: string,
  i: number,
): (Scan<number> & { readonly byte?: true }) | undefined {
  const c = src.charAt(i);
  const ctl = CONTROL[c];
  if (ctl !== undefined) return { value: ctl, end: i + 1 };
  if (c === 'x') {
    if (src.charAt(i + 1) === '{') {
      const close = src.indexOf('}', i + 2);
      const digits = close < 0 ? '' : src.slice(i + 2, close);
      if (!/^[0-9a-fA-F]{1,6}$/.test(digits))
        throw new Untranslatable('\\x{…} needs hexadecimal digits and a closing }', i - 1);
      const code = parseInt(digits, 16);
      if (code > MAX)
        throw new Untranslatable(
          `\\x{${digits}} is beyond what a file name character can be`,
          i - 1,
        );
      return { value: code, end: close + 1 };
    }
    let j = i + 1;
    while (j < i + 3 && HEX.test(src.charAt(j))) j++;
    if (j === i + 1) throw new Untranslatable('\\x needs hexadecimal digits', i - 1);
    return { value: parseInt(src.slice(i + 1, j), 16), end: j, byte: true };
  }
  if (c === 'c') {
    const x = src.charAt(i + 1);
    if (x === '') throw new Untranslatable('\\c needs a character after it', i - 1);
    return { value: x.charCodeAt(0) % 32, end: i + 2 };
  }
  if (c === '0') {
    let j = i + 1;
    while (j < i + 4 && /^[0-7]$/.test(src.charAt(j))) j++;
    return { value: parseInt(src.slice(i, j), 8) & 0xff, end: j, byte: true };
  }
  return undefined;
}

/** The code unit a byte escape >= 0x80 stands for in a BytePath: U+DC00 + byte (see the header). */
const RAW_BYTE = 0xdc00;
export const asSubject = (e: Scan<number> & { readonly byte?: true }): number =>
  e.byte === true && e.value >= 0x80 ? RAW_BYTE + e.value : e.value;

/** `\pX`, `\p{name}`, `\PX`, `\P{name}` with a Boost class name; `i` is the index of the p/P. */
export function propertyClass(src: string, i: number): Scan<Ranges> {
  let name: string;
  let end: number;
  if (src.charAt(i + 1) === '{') {
    const close = src.indexOf('}', i + 2);
    if (close < 0) throw new Untranslatable('\\p{ has no closing }', i - 1);
    name = src.slice(i + 2, close);
    end = close + 1;
  } else {
    name = src.charAt(i + 1);
    end = i + 2;
  }
  const set = namedClass(name);
  if (set === undefined)
    throw new Untranslatable(`unknown character class name "${name}" in \\${src.charAt(i)}`, i - 1);
  return { value: src.charAt(i) === 'P' ? complement(set) : set, end };
}

/** One item of a bracket expression: a character (a possible range end) or a whole set. */
function bracketItem(src: string, i: number): Scan<number | Ranges> {
  const c = src.charAt(i);
  if (c === '[' && /^[:=.]$/.test(src.charAt(i + 1))) {
    const kind = src.charAt(i + 1);
    const close = src.indexOf(`${kind}]`, i + 2);
    if (close < 0) throw new Untranslatable(`"[${kind}" has no closing "${kind}]"`, i);
    const name = src.slice(i + 2, close);
    const end = close + 2;
    if (kind === ':') {
      if (name.startsWith('^'))
        throw new Untranslatable(
          `"[:${name}:]": Boost has no negated POSIX classes (sersync 2.5.4 rejected this rule); write [^[:${name.slice(1)}:]]`,
          i,
        );
      const set = namedClass(name);
      if (set === undefined) throw new Untranslatable(`unknown character class "[:${name}:]"`, i);
      return { value: set, end };
    }
    if (name.length !== 1)
      throw new Untranslatable(
        `"[${kind}${name}${kind}]": only single characters are supported between [${kind} ${kind}]`,
        i,
      );
    return { value: name.charCodeAt(0), end };
  }
  if (c !== '\\') return { value: c.charCodeAt(0), end: i + 1 };
  const e = src.charAt(i + 1);
  if (e === '') throw new Untranslatable('the expression ends with a lone backslash', i);
  const cls = classEscape(e);
  if (cls !== undefined) return { value: cls, end: i + 2 };
  if (e === 'p' || e === 'P') return propertyClass(src, i + 1);
  if (e === 'b') return { value: 8, end: i + 2 };
  const ch = charEscape(src, i + 1);
  return ch === undefined
    ? { value: e.charCodeAt(0), end: i + 2 }
    : { value: asSubject(ch), end: ch.end };
}

/**
 * The bracket expression starting at `src[start] === '['`, as a JS class (case-folded when
 * `icase`). `]` first (after `^`) is a literal, `-` first or last is a literal.
 */
export function bracket(src: string, start: number, icase: boolean): Scan<string> {
  let i = start + 1;
  const negate = src.charAt(i) === '^';
  if (negate) i++;
  const items: (readonly [number, number])[] = [];
  for (let first = true; ; first = false) {
    if (i >= src.length) throw new Untranslatable('"[" has no closing "]"', start);
    if (src.charAt(i) === ']' && !first) {
      i++;
      break;
    }
    const lo = bracketItem(src, i);
    i = lo.end;
    if (typeof lo.value !== 'number') {
      items.push(...lo.value);
      continue;
    }
    if (src.charAt(i) === '-' && i + 1 < src.length && src.charAt(i + 1) !== ']') {
      const hi = bracketItem(src, i + 1);
      if (typeof hi.value !== 'number')
        throw new Untranslatable('a range cannot end in a character class', i + 1);
      if (hi.value < lo.value) throw new Untranslatable('the range is out of order', i - 1);
      items.push([lo.value, hi.value]);
      i = hi.end;
    } else items.push([lo.value, lo.value]);
  }
  let set = normalise(items);
  if (icase) set = foldCase(set);
  return { value: renderClass(negate ? complement(set) : set), end: i };
}
