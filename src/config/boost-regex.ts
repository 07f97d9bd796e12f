// Boost.Regex perl syntax (what sersync 2.5.4's `<filter><exclude expression>` and command-plugin
// `<include>` were compiled with) -> a JS RegExp source with the same meaning, without flags:
// inline modifiers `(?imsx-imsx)` / `(?i:…)` (i by ASCII case folding, m and s by how ^ $ . are
// written), Boost's defaults (`.` matches a newline, ^ $ match at line breaks), POSIX classes,
// `\< \>`, `\A \z \Z \G`, `\Q…\E`, `\h \l \u`, `\x{…}`, atomic groups and possessive quantifiers
// (emulated with a capturing lookahead and a back-reference), `\g{…}` / `\k<…>` back-references.
// Anything else Boost accepted that JS cannot express is an error with the offset and the reason.
// Pure.
import { err, ok, type Result } from '../util/result.js';
import {
  bracket,
  classEscape,
  foldCase,
  propertyClass,
  renderClass,
  Untranslatable,
  type Ranges,
} from './boost-class.js';
import {
  caseRef,
  END,
  escapeText,
  LINE_END,
  LINE_START,
  literal,
  literalText,
  render,
  SIMPLE,
  START,
  unsupportedGroup,
  type Tok,
} from './boost-output.js';

/** Why an expression cannot be translated, and the 0-based offset in it. */
export interface BoostError {
  readonly message: string;
  readonly index: number;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
}

class Translator {
  readonly #src: string;
  #pos = 0;
  #groups = 0;
  readonly #names = new Set<string>();

  constructor(src: string) {
    this.#src = src;
  }

  run(): Tok[] {
    const flags: Flags = { i: false, m: true, s: true, x: false };
    const out = this.#alternation(flags);
    if (this.#pos < this.#src.length) this.#fail('unmatched ")"', this.#pos);
    return out;
  }

  #fail(message: string, index: number): never {
    throw new Untranslatable(message, index);
  }

  #peek(k = 0): string {
    return this.#src.charAt(this.#pos + k);
  }

  /** Skips whitespace and `#` comments when the x modifier is on. */
  #skipExtended(flags: Flags): void {
    if (!flags.x) return;
    for (;;) {
      const c = this.#peek();
      if (/^[ \t\n\r\f\v]$/.test(c)) this.#pos++;
      else if (c === '#') {
        const nl = this.#src.indexOf('\n', this.#pos);
        this.#pos = nl < 0 ? this.#src.length : nl + 1;
      } else return;
    }
  }

  /** Alternatives up to a `)` (not consumed) or the end. Inline modifiers last to the group's end. */
  #alternation(flags: Flags): Tok[] {
    const out: Tok[] = [];
    for (;;) {
      this.#skipExtended(flags);
      const c = this.#peek();
      if (c === '' || c === ')') return out;
      if (c === '|') {
        this.#pos++;
        out.push('|');
        continue;
      }
      const at = this.#pos;
      const atom = this.#atom(flags);
      if (atom === undefined) continue; // a comment or a modifier: nothing to repeat
      this.#skipExtended(flags);
      out.push(...this.#quantified(atom, at));
    }
  }

  /** `atom` followed by any quantifier (`* + ? {n,m}`, then `?` lazy or `+` possessive). */
  #quantified(atom: Tok[], at: number): Tok[] {
    const m = /^(?:[*+?]|\{\d+(?:,\d*)?\})/.exec(this.#src.slice(this.#pos));
    if (m === null) return atom;
    this.#pos += m[0].length;
    let q = m[0];
    const bounds = /^\{(\d+)(?:,(\d*))?\}$/.exec(q);
    if (bounds !== null && bounds[2] !== undefined && bounds[2] !== '') {
      if (Number(bounds[2]) < Number(bounds[1])) this.#fail(`the repeat ${q} is out of order`, at);
    }
    const mode = this.#peek();
    if (mode === '?' || mode === '+') {
      this.#pos++;
      if (mode === '?') q += '?';
    }
    if (/^(?:[*+?]|\{\d)/.test(this.#peek()))
      this.#fail('a quantifier cannot follow a quantifier', this.#pos);
    const body: Tok[] = ['(?:', ...atom, `)${q}`];
    return mode === '+' ? this.#atomic(body) : body;
  }

  /** `(?>X)` as `(?=(X))\N`: the lookahead keeps its first match, the back-reference consumes it. */
  #atomic(body: Tok[]): Tok[] {
    const id = Symbol('atomic');
    return ['(?=', { open: id }, ...body, '))', { ref: id }];
  }

  /** One atom; undefined for something that matches nothing at all (comment, modifier). */
  #atom(flags: Flags): Tok[] | undefined {
    const c = this.#peek();
    const at = this.#pos;
    switch (c) {
      case '(':
        return this.#group(flags);
      case '[': {
        const b = bracket(this.#src, at, flags.i);
        this.#pos = b.end;
        return [b.value];
      }
      case '\\':
        return this.#escape(flags);
      case '.':
        this.#pos++;
        return [flags.s ? '[\\s\\S]' : '[^\\n\\r\\f]'];
      case '^':
        this.#pos++;
        return [flags.m ? LINE_START : START];
      case '$':
        this.#pos++;
        return [flags.m ? LINE_END : `(?=\\n?${END})`];
      case '*':
      case '+':
      case '?':
        return this.#fail(`nothing to repeat before "${c}"`, at);
      default:
        this.#pos++;
        return [literal(c.charCodeAt(0), flags.i)];
    }
  }

  /** Sets the flags named in `spec` (`i`, `-x`, `im-s`). */
  #modifiers(spec: string, flags: Flags, at: number): void {
    let on = true;
    for (const f of spec) {
      if (f === '-') on = false;
      else if (f === 'i' || f === 'm' || f === 's' || f === 'x') flags[f] = on;
      else this.#fail(`unknown modifier "${f}" in (?${spec})`, at);
    }
  }

  #group(outer: Flags): Tok[] | undefined {
    const at = this.#pos;
    const rest = this.#src.slice(at);
    const flags: Flags = { ...outer };
    let open: Tok[];
    let m: RegExpExecArray | null;
    if (/^\(\?(?:R\)|[+-]?\d|&|P>)/.test(rest)) return this.#fail(unsupportedGroup(rest), at);
    if (rest.startsWith('(?#')) {
      const close = this.#src.indexOf(')', at);
      if (close < 0) this.#fail('"(?#" comment has no closing ")"', at);
      this.#pos = close + 1;
      return undefined;
    } else if ((m = /^\(\?([a-zA-Z]*(?:-[a-zA-Z]*)?)\)/.exec(rest)) !== null) {
      this.#modifiers(m[1] ?? '', outer, at); // to the end of the enclosing group
      this.#pos += m[0].length;
      return undefined;
    } else if ((m = /^\(\?([a-zA-Z]*(?:-[a-zA-Z]*)?):/.exec(rest)) !== null) {
      this.#modifiers(m[1] ?? '', flags, at);
      open = ['(?:'];
    } else if ((m = /^\(\?(?:=|!|<=|<!)/.exec(rest)) !== null) open = [m[0]];
    else if ((m = /^\(\?>/.exec(rest)) !== null) open = ['(?>'];
    else if ((m = /^\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest)) !== null) {
      const name = m[1] ?? m[2] ?? '';
      if (this.#names.has(name)) this.#fail(`the group name "${name}" is used twice`, at);
      this.#names.add(name);
      open = [{ open: ++this.#groups, name }];
    } else if ((m = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest)) !== null) {
      this.#pos += m[0].length;
      return this.#namedRef(m[1] ?? '', flags, at);
    } else if (rest.startsWith('(?') || rest.startsWith('(*')) {
      return this.#fail(unsupportedGroup(rest), at);
    } else open = [{ open: ++this.#groups }];
    this.#pos += m?.[0].length ?? 1;
    const body = this.#alternation(flags);
    if (this.#peek() !== ')') this.#fail('"(" has no closing ")"', at);
    this.#pos++;
    if (open[0] === '(?>') return this.#atomic(['(?:', ...body, ')']);
    return [...open, ...body, ')'];
  }

  #namedRef(name: string, flags: Flags, at: number): Tok[] {
    if (flags.i) this.#fail(caseRef, at);
    return [{ named: name }];
  }

  #escape(flags: Flags): Tok[] {
    const at = this.#pos;
    const e = this.#peek(1);
    if (e === '') return this.#fail('the expression ends with a lone backslash', at);
    this.#pos += 2;
    const simple = SIMPLE[e];
    if (simple !== undefined) return [simple];
    if (e === 'Q') {
      const close = this.#src.indexOf('\\E', this.#pos);
      const text = this.#src.slice(this.#pos, close < 0 ? undefined : close);
      this.#pos = close < 0 ? this.#src.length : close + 2;
      return Array.from({ length: text.length }, (_, k) => literal(text.charCodeAt(k), flags.i));
    }
    if (e === 'R') return this.#atomic(['(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])']);
    if (e === 'X' || e === 'N')
      return this.#fail(`\\${e} (grapheme / named character) cannot be translated`, at);
    const cls = classEscape(e);
    if (cls !== undefined) return [this.#set(cls, flags)];
    if (e === 'p' || e === 'P') {
      const p = propertyClass(this.#src, at + 1);
      this.#pos = p.end;
      return [this.#set(p.value, flags)];
    }
    if (/^[1-9]$/.test(e)) return this.#ref(Number(e), flags, at);
    if (e === 'g' || e === 'k') return this.#refEscape(e, flags, at);
    const ch = escapeText(this.#src, at + 1);
    if (ch !== undefined) {
      this.#pos = ch.end;
      return [literalText(ch.value, flags.i)];
    }
    return [literal(e.charCodeAt(0), flags.i)];
  }

  #set(ranges: Ranges, flags: Flags): string {
    return renderClass(flags.i ? foldCase(ranges) : ranges);
  }

  #ref(n: number, flags: Flags, at: number): Tok[] {
    if (flags.i) this.#fail(caseRef, at);
    return [{ ref: n }];
  }

  /** `\gN \g{N} \g-N \g{-N} \g{name} \k<name> \k'name' \k{name}`. */
  #refEscape(e: string, flags: Flags, at: number): Tok[] {
    const m =
      e === 'g'
        ? /^(?:\{(-?\d+|[A-Za-z_]\w*)\}|(-?\d+))/.exec(this.#src.slice(this.#pos))
        : /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\})/.exec(
            this.#src.slice(this.#pos),
          );
    if (m === null) return this.#fail(`\\${e} needs a group number or name`, at);
    this.#pos += m[0].length;
    const v = m[1] ?? m[2] ?? m[3] ?? '';
    if (!/^-?\d+$/.test(v)) return this.#namedRef(v, flags, at);
    const n = Number(v);
    const abs = n < 0 ? this.#groups + 1 + n : n;
    if (abs < 1) this.#fail(`\\${e}${v} refers to no group`, at);
    return this.#ref(abs, flags, at);
  }
}

/**
 * Translates a Boost perl-syntax expression into JS RegExp source (no flags needed) with the
 * same matches; wrap it as `^(?:…)$` for Boost's regex_match. An error names the offset.
 */
export function translateBoost(expression: string): Result<string, BoostError> {
  try {
    const t = new Translator(expression);
    const toks = t.run();
    const groups = toks.filter(
      (x) => typeof x !== 'string' && 'open' in x && typeof x.open === 'number',
    ).length;
    const source = render(toks, groups);
    new RegExp(source); // a bug here is ours: report it as untranslatable rather than crash
    return ok(source);
  } catch (e) {
    if (e instanceof Untranslatable) return err({ message: e.message, index: e.index });
    if (e instanceof SyntaxError) return err({ message: e.message, index: 0 });
    throw e;
  }
}
