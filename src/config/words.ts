// Shell-like word splitting for commonParams / prefix / suffix: the words a POSIX shell would pass,
// without running one. Whitespace separates words; '…' is literal; "…" honours \$ \` \" \\ and
// \<newline>; a backslash outside quotes escapes the next character. Nothing is expanded ($VAR, ~,
// globs, `cmd` all stay literal). Pure.
import { err, ok, type Result } from '../util/result.js';

/** Why a string cannot be split, with the 0-based offset of the offending character. */
export interface WordsError {
  readonly message: string;
  readonly index: number;
}

const SPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
/** Inside double quotes a backslash only escapes these (POSIX sh); before anything else it is literal. */
const DQ_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

/**
 * Splits `input` into words. `a 'b c' "d\"e" f\ g ''` -> `['a', 'b c', 'd"e', 'f g', '']`.
 * An unterminated quote or a trailing lone backslash is an error (a shell would wait for more input).
 */
export function splitWords(input: string): Result<string[], WordsError> {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (SPACE.has(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end === -1) return err({ message: "unterminated single quote (')", index: i });
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      const open = i;
      i++;
      for (;;) {
        if (i >= input.length)
          return err({ message: 'unterminated double quote (")', index: open });
        const d = input.charAt(i);
        if (d === '"') break;
        const next = input.charAt(i + 1);
        if (d === '\\' && DQ_ESCAPABLE.has(next)) {
          if (next !== '\n') word += next; // backslash-newline is a line continuation
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= input.length)
        return err({ message: 'a backslash at the end escapes nothing', index: i });
      const next = input.charAt(i + 1);
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return ok(words);
}
