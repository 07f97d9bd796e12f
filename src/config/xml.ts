// XML text -> a dumb element tree with 1-based line:col for every element and attribute.
// The ONLY importer of fast-xml-parser (validator for syntax errors with positions, ordered parser
// with `captureMetaData` for element offsets; attribute offsets come from re-scanning the start tag). Pure.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { err, ok, type Result } from '../util/result.js';

/** One attribute as written (name in the file's spelling, value with entities decoded). */
export interface XmlAttr {
  readonly name: string;
  readonly value: string;
  readonly line: number;
  readonly col: number;
}

/** One element. Names keep the file's spelling; matching them case-insensitively is validate's job. */
export interface XmlElement {
  readonly name: string;
  /** In document order. A name may repeat with a different case (`start`, `START`). */
  readonly attrs: readonly XmlAttr[];
  /** Child elements in document order (comments, PIs and text are not children). */
  readonly children: readonly XmlElement[];
  /** Non-blank text directly inside the element (CDATA included), trimmed; "" when none. */
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

/** Why the text is not a usable XML document, and where. */
export interface XmlSyntaxError {
  readonly message: string;
  readonly line: number;
  readonly col: number;
}

// Typed as the `Symbol` wrapper in the library's .d.ts; it is a real symbol at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

const parser = new XMLParser({
  preserveOrder: true,
  captureMetaData: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Values stay strings: parseAttributeValue turns passwd="0123" into 123 (a leading zero lost).
  parseAttributeValue: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  trimValues: true,
});

/** Maps a string offset to 1-based line:col (lines end at "\n"; a CR before it is part of the line). */
function locator(text: string): (index: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: index - (starts[lo] ?? 0) + 1 };
  };
}

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Attribute names and their offsets in the start tag beginning at `start` (text[start] is "<"). */
function scanAttributes(
  text: string,
  start: number,
): { name: string; index: number; raw: string }[] {
  const out: { name: string; index: number; raw: string }[] = [];
  let i = start + 1;
  while (i < text.length && !isSpace(text[i]) && text[i] !== '/' && text[i] !== '>') i++;
  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length || text[i] === '/' || text[i] === '>') return out;
    const nameAt = i;
    while (i < text.length && !isSpace(text[i]) && !'=/>'.includes(text[i] ?? '')) i++;
    const name = text.slice(nameAt, i);
    while (isSpace(text[i])) i++;
    if (text[i] !== '=') return out; // cannot happen after the validator passed
    i++;
    while (isSpace(text[i])) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") return out;
    const end = text.indexOf(quote, i + 1);
    if (end === -1) return out;
    out.push({ name, index: nameAt, raw: text.slice(i + 1, end) });
    i = end + 1;
  }
}

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function build(text: string, at: ReturnType<typeof locator>, nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes as unknown[]) {
    if (!isRecord(node)) continue;
    const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
    if (name === undefined) continue;
    const meta = (node as Record<symbol, unknown>)[META];
    const start = isRecord(meta) && typeof meta['startIndex'] === 'number' ? meta['startIndex'] : 0;
    const parsedAttrs = isRecord(node[':@']) ? node[':@'] : {};
    const attrs = scanAttributes(text, start).map((a): XmlAttr => {
      const v = Object.hasOwn(parsedAttrs, a.name) ? parsedAttrs[a.name] : undefined;
      return { name: a.name, value: typeof v === 'string' ? v : a.raw, ...at(a.index) };
    });
    const content: unknown = node[name];
    const texts = Array.isArray(content)
      ? (content as unknown[]).flatMap((c) =>
          isRecord(c) && typeof c['#text'] === 'string' ? [c['#text']] : [],
        )
      : [];
    const words = texts.map((t) => t.trim()).filter((t) => t !== '');
    out.push({
      name,
      attrs,
      children: build(text, at, content),
      text: words.join(' '),
      ...at(start),
    });
  }
  return out;
}

/**
 * Parses `text` (already decoded; no BOM) into its single root element. Never throws for bad
 * input: syntax errors, no root, several roots and parser limits (nesting depth, entity expansion)
 * come back as an XmlSyntaxError. Only the first syntax error is reported (the validator stops there).
 */
export function parseXml(text: string): Result<XmlElement, XmlSyntaxError> {
  // Deprecated in favour of the separate fast-xml-validator package, which is not a dependency here
  // (no new deps); this is the same validator, shipped with fast-xml-parser 5.x.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const checked = XMLValidator.validate(text);
  if (checked !== true) {
    const e = checked.err;
    return err({ message: e.msg, line: e.line, col: e.col > 0 ? e.col : 1 });
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (e) {
    // The library throws on limits its validator does not check (e.g. nesting, entity expansion).
    return err({ message: e instanceof Error ? e.message : String(e), line: 1, col: 1 });
  }
  const roots = build(text, locator(text), parsed);
  const [first, second] = roots;
  if (first === undefined) return err({ message: 'no root element found', line: 1, col: 1 });
  if (second !== undefined) {
    return err({
      message: `a second root element <${second.name}> after <${first.name}>: a config has one <head> root`,
      line: second.line,
      col: second.col,
    });
  }
  return ok(first);
}
