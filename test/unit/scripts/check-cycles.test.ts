// scripts/check-cycles.js on tiny in-memory graphs: which lines count as imports (type-only and
// re-exports included, comments and strings not), how specifiers resolve, and which cycles fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

interface Checker {
  specifiersOf(text: string): string[];
  importGraph(files: Map<string, string>): Map<string, string[]>;
  findCycles(graph: Map<string, string[]>, allowed?: readonly string[]): string[][];
}

// The source script (plain JS, not compiled): dist/test/unit/scripts -> scripts/.
const script = fileURLToPath(new URL('../../../../scripts/check-cycles.js', import.meta.url));
const checker = (await import(script)) as Checker;

const files = (entries: Record<string, string>): Map<string, string> =>
  new Map(Object.entries(entries));

test('every import and re-export form counts; comments and ordinary strings do not', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from './b.js';",
    'import {',
    '  c,',
    '  type C,',
    "} from './c.js';",
    "export { d } from './d.js';",
    "export type * from './e.js';",
    "import './f.js';",
    "const g = await import('./g.js');",
    "// import { h } from './h.js';",
    "/* import { i } from './i.js'; */",
    "export const j = 'not/an/import.js';",
    "import { k } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(checker.specifiersOf(text).sort(), [
    './a.js',
    './b.js',
    './c.js',
    './d.js',
    './e.js',
    './f.js',
    './g.js',
    'node:fs',
  ]);
});

test('relative specifiers resolve to the .ts files of the set; others are ignored', () => {
  const g = checker.importGraph(
    files({
      'src/a.ts':
        "import { b } from './sub/b.js';\nimport x from 'winston';\nimport '../nowhere.js';",
      'src/sub/b.ts': "import type { W } from '../../workers/w.js';",
      'workers/w.ts': '',
    }),
  );
  assert.deepEqual(g.get('src/a.ts'), ['src/sub/b.ts']);
  assert.deepEqual(g.get('src/sub/b.ts'), ['workers/w.ts']);
  assert.deepEqual(g.get('workers/w.ts'), []);
});

test('a type-only cycle fails, a diamond does not', () => {
  const cyclic = checker.importGraph(
    files({
      'a.ts': "import { b } from './b.js';",
      'b.ts': "import type { C } from './c.js';",
      'c.ts': "export type { A } from './a.js';",
      'd.ts': "import { a } from './a.js';",
    }),
  );
  assert.deepEqual(checker.findCycles(cyclic), [['a.ts', 'b.ts', 'c.ts']]);
  const diamond = checker.importGraph(
    files({
      'top.ts': "import './l.js';\nimport './r.js';",
      'l.ts': "import './bottom.js';",
      'r.ts': "import './bottom.js';",
      'bottom.ts': '',
    }),
  );
  assert.deepEqual(checker.findCycles(diamond), []);
});

test('a file importing itself is a cycle; an allowed edge breaks a cycle', () => {
  const self = checker.importGraph(files({ 'a.ts': "import type { A } from './a.js';" }));
  assert.deepEqual(checker.findCycles(self), [['a.ts']]);
  const pair = checker.importGraph(
    files({ 'a.ts': "import './b.js';", 'b.ts': "import './a.js';" }),
  );
  assert.deepEqual(checker.findCycles(pair), [['a.ts', 'b.ts']]);
  assert.deepEqual(checker.findCycles(pair, ['b.ts -> a.ts']), []);
});
