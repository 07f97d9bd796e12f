// The output side of the Boost -> JS translation (boost-regex.ts): the pieces a translation is
// made of, how a literal is written, the fixed translations of Boost's anchors and escapes, and
// the final rendering that numbers the captures (user groups and the atomic-group emulation's
// own) in the order they open. Pure.
//
// Names are bytes: the subject is a BytePath (util/byte-names.ts), where a byte that is not part
// of valid UTF-8 is the code unit U+DC00 + byte. A byte escape (`\xHH`, `\0ooo`) >= 0x80 stands
// for the byte (sersync's narrow regexes matched bytes), and a run of them is read as the bytes of
// a name (escapeText): `\xc3\xbc` is `ü` as a UTF-8 name holds it, `\xfc` the Latin-1 byte.
import { decodeName } from '../util/byte-names.js';
import { charEscape, foldCase, renderClass, Untranslatable, type Scan } from './boost-class.js';

/** Output pieces: text, the opening `(` of a capture (numbered at the end), a back-reference. */
export type Tok =
  | string
  | { readonly open: number | symbol; readonly name?: string }
  | { readonly ref: number | symbol }
  | { readonly named: string };

export const START = '(?<![\\s\\S])';
export const END = '(?![\\s\\S])';
/** Boost's line separators for ^ $ in multi-line mode (its default) and `.` without (?s). */
export const LINE_START = '(?<![^\\n\\r\\f])';
export const LINE_END = '(?![^\\n\\r\\f])';
/** Characters that must be escaped to be literal in a JS pattern. */
const SPECIAL = '\\^$.|?*+()[]{}';
export const SIMPLE: Readonly<Record<string, string>> = {
  A: START,
  '`': START,
  G: START,
  z: END,
  "'": END,
  Z: `(?=\\n?${END})`,
  b: '\\b',
  B: '\\B',
  '<': '\\b(?=\\w)',
  '>': '\\b(?<=\\w)',
  C: '[\\s\\S]',
  K: '',
  E: '',
};

/** A literal code unit as JS source (case-folded when `icase`). */
export function literal(code: number, icase: boolean): string {
  const c = String.fromCharCode(code);
  if (icase && /^[A-Za-z]$/.test(c)) return renderClass(foldCase([[code, code]]));
  if (SPECIAL.includes(c)) return `\\${c}`;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  // A surrogate (a raw byte of a BytePath, or half of a pair) as an escape: readable, and
  // never a lone surrogate in the source text.
  if (code >= 0xd800 && code <= 0xdfff) return `\\u${code.toString(16)}`;
  return c;
}

/** Literal text (every code unit of `s`) as JS source. */
export const literalText = (s: string, icase: boolean): string =>
  Array.from({ length: s.length }, (_, k) => literal(s.charCodeAt(k), icase)).join('');

export const caseRef =
  'a back-reference under (?i) cannot be translated (JavaScript would compare it case-sensitively)';

export function unsupportedGroup(rest: string): string {
  if (rest.startsWith('(*')) return 'backtracking verbs "(*…)" cannot be translated';
  if (rest.startsWith('(?|')) return 'branch reset "(?|…)" cannot be translated';
  if (rest.startsWith('(?(')) return 'conditionals "(?(…)…)" cannot be translated';
  if (/^\(\?(?:R\)|[+-]?\d|&|P>)/.test(rest))
    return 'recursion "(?R)", "(?1)", "(?&name)" cannot be translated';
  return `unknown group syntax "${rest.slice(0, 4)}…"`;
}

/** Renders the pieces: captures are numbered in the order they open, references resolved. */
export function render(toks: readonly Tok[], userGroups: number): string {
  const number = new Map<number | symbol, number>();
  let n = 0;
  for (const t of toks) if (typeof t !== 'string' && 'open' in t) number.set(t.open, ++n);
  return toks
    .map((t) => {
      if (typeof t === 'string') return t;
      if ('open' in t) return t.name === undefined ? '(' : `(?<${t.name}>`;
      if ('named' in t) return `(?:\\k<${t.named}>)`;
      const js = number.get(t.ref);
      if (js === undefined) {
        throw new Untranslatable(
          `\\${String(t.ref)} refers to group ${String(t.ref)}, but there are only ${userGroups}`,
          0,
        );
      }
      return `(?:\\${js})`;
    })
    .join('');
}

/**
 * The text a character escape outside a class matches (`i` as for charEscape): one character,
 * or for a run of byte escapes with at least one >= 0x80 the BytePath of those bytes (valid
 * UTF-8 as its characters, other bytes raw). Undefined when it is not a character escape.
 */
export function escapeText(src: string, i: number): Scan<string> | undefined {
  const first = charEscape(src, i);
  if (first === undefined) return undefined;
  if (first.byte !== true || first.value < 0x80)
    return { value: String.fromCharCode(first.value), end: first.end };
  const bytes = [first.value];
  let end = first.end;
  for (;;) {
    const next = src.charAt(end) === '\\' ? charEscape(src, end + 1) : undefined;
    if (next?.byte !== true || next.value < 0x80) break;
    bytes.push(next.value);
    end = next.end;
  }
  return { value: decodeName(Uint8Array.from(bytes)), end };
}
