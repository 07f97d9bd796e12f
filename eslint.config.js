// ESLint flat config: typescript-eslint strict type-checked rules, plus the project's own:
// - purity: a file whose header (its first block of `//` lines) says "Pure" imports no I/O
//   module and touches no process, timer or console; the list is computed from the headers;
// - size: a file in src/ or workers/ is at most 300 lines, a function at most 80 (physical
//   lines, blank lines and comments included: what an editor shows);
// - import cycles are checked by scripts/check-cycles.js (eslint-plugin-import is not a dependency).
import { readdirSync, readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_MODULES = [
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
  'node:http',
  'node:timers',
];

/** The first block of `//` comment lines of a source text. */
export function headerOf(text) {
  const lines = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('//')) break;
    lines.push(line);
  }
  return lines.join('\n');
}

/** Files of src/ and workers/ whose header says "Pure" (capitalised: "Pure.", "Pure types", ...). */
export function pureFiles(root = import.meta.dirname) {
  return ['src', 'workers']
    .flatMap((dir) =>
      readdirSync(`${root}/${dir}`, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `${dir}/${f}`),
    )
    .filter((f) => /\bPure\b/.test(headerOf(readFileSync(`${root}/${f}`, 'utf8'))))
    .sort();
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-*/**',
      'build/**',
      'node_modules/**',
      'eslint.config.js',
      'scripts/run-tests.js',
      // Plain JS run before the build (the install script and the prebuild tool).
      'scripts/install-native.js',
      'scripts/prebuild.js',
      'scripts/check-cycles.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests.' },
        {
          selector:
            "CallExpression[callee.property.name='skip'][callee.object.name=/^(it|test|describe)$/]",
          message: 'No skipped tests.',
        },
      ],
    },
  },
  {
    // Pure core: no file system, processes, sockets or timers.
    files: pureFiles(),
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: IO_MODULES.map((name) => ({ name, message: 'Pure module: no I/O.' })) },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'console'],
    },
  },
  {
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': [
        'error',
        { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true },
      ],
    },
  },

  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
    },
  },
);
