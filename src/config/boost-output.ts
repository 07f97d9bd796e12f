// The output side of the Boost -> JS translation (boost-regex.ts): the pieces a translation is
// made of, how a literal is written, the fixed translations of Boost's anchors and escapes, and
// the final rendering that numbers the captures (user groups and the atomic-group emulation's
// own) in the order they open. Pure.
import { foldCase, renderClass, Untranslatable } from './boost-class.js';

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
  return c;
}

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
