// Config problems as values: the ConfigIssue record, its one-line rendering, an issue collector
// and the "did you mean" helper. All user-facing config message wording lives here or next to the
// rule that raises it. Pure.
import { showRawBytes } from '../log-bytes.js';

/** What kind of rule an issue comes from. Tests match on `kind` (and `path`), not on prose. */
export type ConfigIssueKind =
  /** The text is not well-formed XML (or has no / several root elements). */
  | 'xml-syntax'
  /** The root element is not `<head>`. */
  | 'wrong-root'
  /** An element the schema does not know in that place (a warning, with a "did you mean" hint). */
  | 'unknown-element'
  /** An attribute the schema does not know on that element (a warning). */
  | 'unknown-attribute'
  /** A single-valued element appears twice: only the first is used (warning). */
  | 'duplicate-element'
  /** The same attribute twice with a different case (`start=… START=…`): the first is used (warning). */
  | 'duplicate-attribute'
  /** Text inside an element that only takes attributes: ignored (warning). */
  | 'text-ignored'
  /** A switch that is neither exactly "true" nor "false": it counts as false (warning). */
  | 'not-boolean'
  /** Not a whole number, or out of range. */
  | 'bad-number'
  /** A value outside its fixed set (plugin name, watcher backend). */
  | 'bad-choice'
  /** An `<exclude>` / `<include>` / `<regexurl>` expression that does not compile. */
  | 'bad-regex'
  /** `commonParams` / `prefix` / `suffix` cannot be split into words (unterminated quote). */
  | 'bad-words'
  /** A required value is missing or empty (watch, remote ip/name, plugin fields, fail-log path). */
  | 'missing-value'
  /** A required element is missing (`<localpath>`, a `<remote>`, the started plugin's section). */
  | 'missing-element'
  /** A path that must exist does not (watch dir, password file). */
  | 'not-found'
  /** A watch path that is not a directory, or a password file that is not a file. */
  | 'wrong-file-type'
  /** A password file readable or writable by others: rsync refuses it (`mode & 006`). */
  | 'insecure-mode'
  /** A password file this user cannot read (access R_OK): rsync, run as the same user, cannot either. */
  | 'unreadable'
  /** Running as root, a password file root does not own: rsync refuses it. */
  | 'wrong-owner'
  /** A value replaced by the original's fallback (crontab schedule <= 0 -> 600 minutes) (warning). */
  | 'value-replaced'
  /** crontab switched off by the original's filter rule (warning). */
  | 'crontab-disabled'
  /** A setting that has no effect in this combination (password file with ssh) (warning). */
  | 'ignored-setting'
  /** Two `<localpath>`s with the same watch root. */
  | 'duplicate-root'
  /** A watch root inside another watch root. */
  | 'nested-root'
  /** The same `<remote>` twice in one `<localpath>` (warning). */
  | 'duplicate-remote'
  /** sersync 2.5.4 would have behaved differently with this file (warning, for migration). */
  | 'compat-difference';

/** One problem found in a config file. `severity: 'error'` means the daemon must not start. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  /** The config file as the user named it. */
  readonly file: string;
  /** 1-based line and column of the element or attribute concerned (1:1 when not known). */
  readonly line: number;
  readonly col: number;
  /** XML path below `<head>`, e.g. `sersync/rsync/timeout@time`; `head` for the root itself. */
  readonly path: string;
  readonly kind: ConfigIssueKind;
  /** What was expected and what was found. Never contains a password. */
  readonly message: string;
}

/** `conf/x.xml:31:7: error: sersync/rsync/timeout@time: expected …, got "abc"` */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.severity}: ${issue.path}: ${issue.message}`;
}

/** A place in the file plus its XML path. */
export interface Where {
  readonly path: string;
  readonly line: number;
  readonly col: number;
}

/** Collects issues in the order they are found. Not thread-safe (nothing here is). */
export class IssueSink {
  readonly #file: string;
  readonly #issues: ConfigIssue[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  error(where: Where, kind: ConfigIssueKind, message: string): void {
    this.#add('error', where, kind, message);
  }

  warn(where: Where, kind: ConfigIssueKind, message: string): void {
    this.#add('warning', where, kind, message);
  }

  get issues(): readonly ConfigIssue[] {
    return this.#issues;
  }

  get hasErrors(): boolean {
    return this.#issues.some((i) => i.severity === 'error');
  }

  #add(severity: ConfigIssue['severity'], w: Where, kind: ConfigIssueKind, message: string): void {
    this.#issues.push({
      severity,
      file: this.#file,
      line: w.line,
      col: w.col,
      path: w.path,
      kind,
      message,
    });
  }
}

const MAX_SHOWN = 80;

/**
 * A value for a message: in double quotes, with `"` and control characters escaped (backslashes are
 * left alone so regexes read as written), cut to a readable length.
 */
export function shown(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  const esc = cut.replace(/["\u0000-\u001f\u007f]/g, (c) => {
    if (c === '"') return '\\"';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${showRawBytes(esc)}"`; // a raw (non-UTF-8) byte as \xfc, never U+FFFD
}

/** Issues in file order (line, then column); ties keep the order they were found in. */
export function byPosition(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Levenshtein distance (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[t.length] ?? 0;
}

/** ` (did you mean "x"?)` for the closest candidate within a third of the name's length, else "". */
export function didYouMean(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(name.length, 3) / 3));
  return best !== undefined && bestD <= limit ? ` (did you mean "${best}"?)` : '';
}
