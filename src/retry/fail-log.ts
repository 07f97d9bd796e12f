// The sersync-compatible fail log: a /bin/sh script of `#errno <status>`, a command, a blank line.
// Rendering quotes every word so that running the file by hand can never run anything taken
// from a file name; parsing reads it back (our entries exactly, anything else verbatim). Names
// are BytePaths: a byte that is not UTF-8 (or a control character) is written as an octal
// escape through printf, so the file is plain text and sh, dash and bash all rebuild the exact
// bytes (docs/reliability.md "The fail log"). The text is the file's bytes through decodeName. Pure.
import { decodeName, encodeName, hasRawBytes, type BytePath } from '../util/byte-names.js';

/** A command of the fail log: `cd -- <cwd> && <argv...>`; argv[0] is the executable. */
export interface FailLogCommand {
  readonly cwd: BytePath;
  readonly argv: readonly BytePath[];
}

/** One entry: the raw wait status (`#errno`, e.g. exit 10 -> 2560) and its command. */
export interface FailLogEntry extends FailLogCommand {
  readonly status: number;
}

/** What the parser found: an entry of our form, or anything else kept as its raw text. */
export type ParsedEntry =
  | ({ readonly kind: 'ours'; readonly text: string } & FailLogEntry)
  | { readonly kind: 'foreign'; readonly status: number | undefined; readonly text: string };

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
/**
 * What is written as printf octal escapes: raw bytes (lone surrogates U+DC80..U+DCFF) and the
 * control characters other than tab and newline (a `\r` or an ESC would disguise the file on a
 * terminal). A newline stays literal inside single quotes: `$(…)` would drop a trailing one.
 */
// eslint-disable-next-line no-control-regex
const ESCAPED = /[\u0000-\u0008\u000b-\u001f\u007f\udc80-\udcff]+/gu;

const singleQuoted = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
/** A plain part: bare when inert (and, when `noEquals`, holding no `=`), else single-quoted. */
const plainPart = (text: string, noEquals: boolean): string =>
  SAFE.test(text) && !(noEquals && text.includes('=')) ? text : singleQuoted(text);
/** `"$(printf '\374\001')"`: the bytes of `run` (raw bytes, control characters) as octal escapes. */
const printfPart = (run: string): string => {
  let esc = '';
  for (const byte of encodeName(run)) esc += `\\${byte.toString(8).padStart(3, '0')}`;
  return `"$(printf '${esc}')"`;
};

/**
 * Quotes one word for /bin/sh (dash, bash): bare when it only holds inert characters, else
 * single-quoted with `'` written as `'\''`; inside single quotes sh interprets nothing (`$`,
 * backticks, `\`, newlines and globs are literal). Raw bytes and control characters go through
 * printfPart: `good\xfc.txt` is `good"$(printf '\374')".txt`. Nothing from the name is ever
 * outside quotes unless inert. `noEquals`: the word never looks like an assignment `A=B`.
 */
export function shellQuote(word: BytePath, noEquals = false): string {
  if (SAFE.test(word) && !(noEquals && word.includes('='))) return word;
  if (!hasControlOrRaw(word)) return singleQuoted(word);
  let out = '';
  let last = 0;
  for (const m of word.matchAll(ESCAPED)) {
    if (m.index > last) out += plainPart(word.slice(last, m.index), noEquals && last === 0);
    out += printfPart(m[0]);
    last = m.index + m[0].length;
  }
  if (last < word.length) out += plainPart(word.slice(last), noEquals && last === 0);
  return out;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const hasControlOrRaw = (w: string): boolean => hasRawBytes(w) || CONTROL.test(w);

/** `cd -- '/root' && rsync …` with every word quoted. The executable word never looks like `A=B`. */
export function renderCommand(cmd: FailLogCommand): string {
  const [exe, ...args] = cmd.argv;
  if (exe === undefined) throw new Error('Internal error: fail-log command without an executable');
  return [
    `cd -- ${shellQuote(cmd.cwd)} &&`,
    shellQuote(exe, true),
    ...args.map((a) => shellQuote(a)),
  ].join(' ');
}

/** `#errno <status>\n<command>\n\n` (the original's layout: each entry ends with an empty line). */
export function renderEntry(e: FailLogEntry): string {
  if (!Number.isInteger(e.status)) throw new Error(`Internal error: fail-log status ${e.status}`);
  return `#errno ${e.status}\n${renderCommand(e)}\n\n`;
}

type Token =
  { readonly op: false; readonly value: string } | { readonly op: true; readonly value: string };

interface Scan {
  readonly tokens: Token[];
  /** Index just after the command's terminating newline (or the end). */
  readonly end: number;
  /** Unterminated quote, or syntax we do not model (`$`, backtick, redirection, …). */
  readonly foreign: boolean;
}

const OPERATOR_CHARS = new Set(['&', '|', ';', '<', '>', '(', ')', '`', '$', '{', '}']);

/** Exactly printfPart's form, octal escapes only (no `%`, nothing else): `"$(printf '\374')"`. */
const PRINTF_PART = /"\$\(printf '((?:\\[0-7]{3})+)'\)"/y;

/** The bytes of a printfPart at `s[i]` (raw bytes as lone surrogates) and where it ends; else undefined. */
function printfAt(s: string, i: number): { text: string; end: number } | undefined {
  PRINTF_PART.lastIndex = i;
  const m = PRINTF_PART.exec(s);
  if (m === null) return undefined;
  let text = '';
  for (const e of (m[1] ?? '').matchAll(/\\([0-7]{3})/g)) {
    const byte = parseInt(e[1] ?? '', 8);
    // Not printfPart's: NUL (no name holds one), a newline (`$(…)` drops a trailing one), not a byte.
    if (byte === 0 || byte === 0x0a || byte > 0xff) return undefined;
    text += String.fromCharCode(byte >= 0x80 ? 0xdc00 + byte : byte);
  }
  return { text, end: PRINTF_PART.lastIndex };
}

/** Tokenises one sh command starting at `i`, up to an unquoted newline. */
function scanCommand(s: string, start: number): Scan {
  const tokens: Token[] = [];
  let i = start;
  let word: string | undefined;
  let foreign = false;
  const flush = (): void => {
    // Bytes from printf parts next to text: the BytePath of the word's bytes (canonical form).
    if (word !== undefined)
      tokens.push({ op: false, value: hasRawBytes(word) ? decodeName(encodeName(word)) : word });
    word = undefined;
  };
  while (i < s.length) {
    const ch = s.charAt(i);
    if (ch === '\n') {
      flush();
      return { tokens, end: i + 1, foreign };
    }
    const pf = ch === '"' ? printfAt(s, i) : undefined;
    if (pf !== undefined) {
      word = (word ?? '') + pf.text;
      i = pf.end;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      flush();
      i++;
    } else if (ch === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) return unterminated(s, start);
      word = (word ?? '') + s.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let v = '';
      for (; j < s.length && s.charAt(j) !== '"'; j++) {
        const cj = s.charAt(j);
        if (cj === '$' || cj === '`') foreign = true;
        if (cj === '\\' && '$`"\\\n'.includes(s.charAt(j + 1))) {
          j++;
          if (s.charAt(j) !== '\n') v += s.charAt(j);
        } else v += cj;
      }
      if (j >= s.length) return unterminated(s, start);
      word = (word ?? '') + v;
      i = j + 1;
    } else if (ch === '\\') {
      if (s.charAt(i + 1) !== '\n') word = (word ?? '') + s.charAt(i + 1);
      i += 2;
    } else if (ch === '#' && word === undefined) {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
    } else if (OPERATOR_CHARS.has(ch)) {
      flush();
      const op = ch === '&' && s.charAt(i + 1) === '&' ? '&&' : ch;
      if (op !== '&&') foreign = true;
      tokens.push({ op: true, value: op });
      i += op.length;
    } else {
      word = (word ?? '') + ch;
      i++;
    }
  }
  flush();
  return { tokens, end: s.length, foreign };
}

function unterminated(s: string, start: number): Scan {
  const nl = s.indexOf('\n', start);
  return { tokens: [], end: nl < 0 ? s.length : nl + 1, foreign: true };
}

/** Our form: `cd -- DIR && EXE ARGS…` with plain words only. */
function ours(tokens: readonly Token[]): FailLogCommand | undefined {
  const [cd, dashes, dir, and, ...rest] = tokens;
  if (cd?.value !== 'cd' || cd.op || dashes?.value !== '--' || dashes.op) return undefined;
  if (dir === undefined || dir.op || and?.value !== '&&' || !and.op) return undefined;
  if (rest.length === 0 || rest.some((t) => t.op)) return undefined;
  return { cwd: dir.value, argv: rest.map((t) => t.value) };
}

/**
 * Parses a fail-log file. Entries of our form come back exactly as rendered (round-trip);
 * anything else (the original's `"…"`-quoted commands, hand edits) comes back as `foreign`
 * with its raw text, so a rewrite can keep it. Blank lines and stray comments are skipped.
 */
export function parseFailLog(text: string): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(i, lineEnd);
    if (line.trim() === '') {
      i = lineEnd + 1;
      continue;
    }
    const m = /^#errno (-?\d+)\s*$/.exec(line);
    let status: number | undefined;
    let cmdStart = i;
    if (m) {
      status = Number(m[1]);
      cmdStart = lineEnd + 1;
    } else if (line.startsWith('#')) {
      i = lineEnd + 1;
      continue;
    }
    const scan = scanCommand(text, cmdStart);
    const raw = text.slice(cmdStart, scan.end).replace(/\n$/, '');
    const cmd = scan.foreign ? undefined : ours(scan.tokens);
    if (cmd !== undefined && status !== undefined)
      out.push({ kind: 'ours', status, ...cmd, text: raw });
    else if (raw.trim() !== '' || status !== undefined)
      out.push({ kind: 'foreign', status, text: raw });
    i = Math.max(scan.end, cmdStart + 1);
  }
  return out;
}

/**
 * The paths and destination of a replay command built by `replayArgv` (`… -- ./p1 ./p2 DEST`),
 * or undefined for any other shape.
 */
export function replayTargets(
  argv: readonly string[],
): { paths: string[]; destination: string } | undefined {
  const sep = argv.indexOf('--');
  if (sep < 0 || argv.length < sep + 3) return undefined;
  const after = argv.slice(sep + 1);
  const destination = after.pop();
  if (destination === undefined || !after.every((a) => a.startsWith('./') && a.length > 2))
    return undefined;
  return { paths: after.map((a) => a.slice(2)), destination };
}

/** What a sersync 2.5.4 fail-log command asked for: one path of one destination. */
export interface OriginalCommand {
  readonly cwd: string;
  readonly destination: string;
  readonly path: string;
  /** 'upsert' for the push form (`"./rel"`), 'remove' for the delete form (`--include=… --exclude=*`). */
  readonly op: 'upsert' | 'remove';
}

/** sh's reading of a double-quoted word's inside: `\` escapes only `$`, backtick, `"`, `\`. */
const unquoteDouble = (s: string): string => s.replace(/\\([$`"\\])/g, '$1');

const ORIGINAL_TAIL = /^(?: --password-file=\S+)?(?: >\/dev\/null 2>&1 )?\s*$/;

/**
 * Reads one command the original wrote (its fail-log format, docs/compat.md "fail log"):
 * `cd W && rsync P -R … "./rel" DEST [--password-file=F] [>/dev/null 2>&1 ]` or the delete form
 * `cd W && rsync P -R [--delete] ./ … --include="a/" --include="a/b" [--include="a/b/***"] --exclude=* DEST …`.
 * A full sync (`./` without includes), or anything else, is undefined. The original did not
 * escape `"` in names, so such a name may come back cut; the caller checks it locally.
 */
export function parseOriginalCommand(text: string): OriginalCommand | undefined {
  const cd = /^cd (\S(?:.*?\S)?) && rsync (.*)$/s.exec(text);
  if (!cd) return undefined;
  const cwd = cd[1] ?? '';
  const rest = cd[2] ?? '';
  const del = /^(.*?) \.\/ (.*) --exclude=\* +(\S+)(.*)$/s.exec(rest);
  if (del) {
    if (!ORIGINAL_TAIL.test(del[4] ?? '')) return undefined;
    const includes = [...(del[2] ?? '').matchAll(/--include="((?:[^"\\]|\\.)*)"/g)].map((m) =>
      unquoteDouble(m[1] ?? ''),
    );
    const last = includes
      .at(-1)
      ?.replace(/\/\*\*\*$/, '')
      .replace(/\/$/, '');
    if (last === undefined || last === '') return undefined;
    return { cwd, destination: del[3] ?? '', path: last, op: 'remove' };
  }
  const push = /^(.*?) "\.\/(.*)" (\S+)(.*)$/s.exec(rest);
  if (!push || !ORIGINAL_TAIL.test(push[4] ?? '')) return undefined;
  const path = unquoteDouble(push[2] ?? '').replace(/\/$/, '');
  if (path === '' || path === '.') return undefined;
  return { cwd, destination: push[3] ?? '', path, op: 'upsert' };
}
