#!/usr/bin/env node
// Fails when the relative imports of src/ and workers/ form a cycle. Every `import … from`,
// `import type … from`, `export … from`, side-effect `import '…'` and literal `import('…')`
// counts: a type-only cycle still ties the files into one. Plain JS so that `npm run lint` runs
// it without a build. Usage: node scripts/check-cycles.js [ROOT]   (exit 1 and the cycles if any)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const STATEMENT = [
  // import x from '…', import type { X } from '…', export { x } from '…', export * from '…'
  /^[ \t]*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/gm,
  // import '…' (side effect)
  /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm,
  // import('…')
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

/** The module specifiers a source text imports or re-exports, in no particular order. */
export function specifiersOf(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^[ \t]*\/\/.*$/gm, '');
  const out = new Set();
  for (const re of STATEMENT) for (const m of code.matchAll(re)) out.add(m[1]);
  return [...out];
}

/**
 * The import graph of `files` (path -> source text, posix paths relative to one root): each file
 * to the files of the set its relative specifiers name ('./x.js' is ./x.ts). Others are ignored.
 */
export function importGraph(files) {
  const graph = new Map();
  for (const [file, text] of files) {
    const to = new Set();
    for (const spec of specifiersOf(text)) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      const ts = target.replace(/\.js$/, '.ts');
      if (files.has(ts)) to.add(ts);
      else if (files.has(target)) to.add(target);
    }
    graph.set(file, [...to].sort());
  }
  return graph;
}

/**
 * The cycles of `graph` minus the `allowed` edges ('a -> b'): each strongly connected component
 * of more than one file, or a file importing itself, as its sorted list of files (Tarjan).
 */
export function findCycles(graph, allowed = []) {
  const skip = new Set(allowed);
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (skip.has(`${v} -> ${w}`) || !graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v) && !skip.has(`${v} -> ${v}`);
    if (scc.length > 1 || selfLoop) cycles.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Reads every .ts file of `dirs` under `root` into a path -> text map. */
export function readSources(root, dirs = ['src', 'workers']) {
  const files = new Map();
  for (const dir of dirs) {
    for (const f of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts'))
        files.set(posix.join(dir, f), readFileSync(join(root, dir, f), 'utf8'));
    }
  }
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const graph = importGraph(readSources(root));
  const cycles = findCycles(graph);
  for (const c of cycles) console.error(`check-cycles: import cycle: ${c.join(', ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log(`check-cycles: ${graph.size} files, no import cycle`);
}
