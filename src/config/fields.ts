// Typed readers for attribute values (switch, whole number, choice, path, regex, word list). Each
// returns a usable value (the template default on any problem) and records the problem in the sink,
// so one pass reports every issue at once. Pure (node:path only computes strings).
import { posix } from 'node:path';
import type { RegexRule } from './types.js';
import { shown, type IssueSink } from './issues.js';
import type { Node } from './schema.js';
import { whereAttr } from './schema.js';
import { splitWords } from './words.js';
import { translateBoost } from './boost-regex.js';

/** A whole-number rule: inclusive bounds and how to name the value in a message. */
export interface IntRule {
  readonly min: number;
  readonly max: number;
  /** e.g. "a whole number of seconds", "a port number". */
  readonly what: string;
}

export const PORT: IntRule = { min: 1, max: 65535, what: 'a port number' };

/** The first child named `name`, or an empty stand-in (no attributes) located at the parent. */
export function child(parent: Node, name: string): Node {
  const found = parent.children.find((c) => c.name === name);
  if (found !== undefined) return found;
  const path = parent.at.path === 'head' ? name : `${parent.at.path}/${name}`;
  return { name, at: { ...parent.at, path }, attrs: new Map(), children: [] };
}

/** Reads attribute values, reporting problems to `sink`; relative paths resolve against `cwd`. */
export class Fields {
  readonly #sink: IssueSink;
  readonly #cwd: string;

  constructor(sink: IssueSink, cwd: string) {
    this.#sink = sink;
    this.#cwd = cwd;
  }

  /** A raw string; `def` when the attribute is absent. */
  str(node: Node, attr: string, def: string): string {
    return node.attrs.get(attr)?.value ?? def;
  }

  /** A value that must be present and not blank; undefined (after an error) otherwise. */
  required(node: Node, attr: string, what: string): string | undefined {
    const v = node.attrs.get(attr)?.value;
    if (v === undefined || v.trim() === '') {
      const found = v === undefined ? `<${node.name}> has no ${attr} attribute` : 'it is empty';
      this.#sink.error(whereAttr(node, attr), 'missing-value', `expected ${what}, but ${found}`);
      return undefined;
    }
    return v;
  }

  /** sersync's switch: only the exact string "true" is true. Other non-"false" values warn and count as false. */
  bool(node: Node, attr: string, def: boolean): boolean {
    const v = node.attrs.get(attr)?.value;
    if (v === undefined) return def;
    if (v === 'true') return true;
    if (v !== 'false') {
      this.#sink.warn(
        whereAttr(node, attr),
        'not-boolean',
        `expected "true" or "false", got ${shown(v)}; only the exact string "true" switches it on, so this counts as false`,
      );
    }
    return false;
  }

  /** A whole decimal number within `rule`; `def` when absent or (after an error) invalid. */
  int(node: Node, attr: string, def: number, rule: IntRule): number {
    const v = node.attrs.get(attr)?.value;
    if (v === undefined) return def;
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < rule.min || n > rule.max) {
      const range =
        rule.max === Number.MAX_SAFE_INTEGER ? `>= ${rule.min}` : `${rule.min}-${rule.max}`;
      this.#sink.error(
        whereAttr(node, attr),
        'bad-number',
        `expected ${rule.what} ${range}, got ${shown(v)}`,
      );
      return def;
    }
    return n;
  }

  /** A whole number that must be present; undefined (after an error) when absent or invalid. */
  requiredInt(node: Node, attr: string, rule: IntRule): number | undefined {
    if (this.required(node, attr, `${rule.what} ${rule.min}-${rule.max}`) === undefined)
      return undefined;
    const n = this.int(node, attr, NaN, rule);
    return Number.isNaN(n) ? undefined : n;
  }

  /** One of `choices` (exact spelling); `def` when absent or (after an error) unknown. */
  choice<T extends string>(node: Node, attr: string, choices: readonly T[], def: T): T {
    const v = node.attrs.get(attr)?.value;
    if (v === undefined) return def;
    const found = choices.find((c) => c === v);
    if (found !== undefined) return found;
    const close = choices.find((c) => c.toLowerCase() === v.trim().toLowerCase());
    const hint = close === undefined ? '' : ` (did you mean "${close}"?)`;
    this.#sink.error(
      whereAttr(node, attr),
      'bad-choice',
      `expected one of ${choices.join(', ')}, got ${shown(v)}${hint}`,
    );
    return def;
  }

  /** An absolute, normalised path (trailing slashes gone, `/` kept); `def` when absent. Empty: error unless allowed. */
  path(node: Node, attr: string, def: string, what: string): string {
    const v = node.attrs.get(attr)?.value ?? def;
    if (v.trim() === '') {
      this.#sink.error(whereAttr(node, attr), 'missing-value', `expected ${what}, but it is empty`);
      return '';
    }
    if (v.includes('\0')) {
      this.#sink.error(
        whereAttr(node, attr),
        'missing-value',
        `expected ${what}, got a path containing a NUL character`,
      );
      return '';
    }
    return this.resolve(v);
  }

  /** `p` against the config's cwd, normalised (no trailing slash, `/` stays `/`). */
  resolve(p: string): string {
    return posix.resolve(this.#cwd, p);
  }

  /**
   * A Boost (perl syntax) regex, as sersync 2.5.4 compiled it, translated to JS (boost-regex.ts)
   * and compiled for a FULL match (`anchored`, Boost regex_match) or for a search; undefined
   * after an error naming what cannot be translated.
   */
  regex(node: Node, attr: string, anchored: boolean): RegexRule | undefined {
    const expression = this.required(node, attr, 'a regular expression');
    if (expression === undefined) return undefined;
    const js = translateBoost(expression);
    if (!js.ok) {
      this.#sink.error(
        whereAttr(node, attr),
        'bad-regex',
        `expected a regular expression (Boost perl syntax, as sersync 2.5.4), got ${shown(expression)}: ${js.error.message} (at offset ${js.error.index})`,
      );
      return undefined;
    }
    // The translation is balanced, so it cannot escape the (?:…) wrapper (e.g. "a)|(b").
    return { expression, regex: new RegExp(anchored ? `^(?:${js.value})$` : js.value) };
  }

  /** The raw string and its shell-like words; on a split error, the words of `def`. */
  words(node: Node, attr: string, def: string): { raw: string; words: string[] } {
    const raw = this.str(node, attr, def);
    const split = splitWords(raw);
    if (split.ok) return { raw, words: split.value };
    this.#sink.error(
      whereAttr(node, attr),
      'bad-words',
      `expected options separated by spaces (quotes allowed), got ${shown(raw)}: ${split.error.message} at offset ${split.error.index}`,
    );
    const fallback = splitWords(def);
    return { raw, words: fallback.ok ? fallback.value : [] };
  }
}
