// ESLint flat config: typescript-eslint strict type-checked rules, plus the project's
// dependency rule (pure folders never import I/O modules).
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
    files: [
      'src/queue/combine.ts',
      'src/queue/pending.ts',
      'src/queue/shard.ts',
      'src/watch/filter.ts',
      'src/sync/argv.ts',
      'src/sync/exit-policy.ts',
      'src/retry/fail-log.ts',
      'src/config/validate.ts',
      'src/config/xml.ts',
      'src/config/issues.ts',
      'src/util/result.ts',
      'src/queue/path-trie.ts',
      'src/queue/heap.ts',
      'src/queue/outcome.ts',
      'src/retry/journal-codec.ts',
      'src/status/metrics.ts',
      'src/status/report.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: IO_MODULES.map((name) => ({ name, message: 'Pure module: no I/O.' })) },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'console'],
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
