// Each start-up failure kind has its own exit code (docs/exit-codes.md); none is 66 ("config file missing").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeFor } from '../../src/daemon-support.js';
import { ExitCode } from '../../src/exit-codes.js';

test('start-up failures map to their own documented exit codes', () => {
  const codes = {
    'root-missing': exitCodeFor({ kind: 'root-missing', root: '/srv', message: 'm' }),
    'init-failed': exitCodeFor({ kind: 'init-failed', root: '/srv', message: 'm' }),
    'backend-unavailable': exitCodeFor({ kind: 'backend-unavailable', root: '', message: 'm' }),
    'state-dir': exitCodeFor({ kind: 'state-dir', message: 'm' }),
  };
  assert.deepEqual(codes, {
    'root-missing': 72,
    'init-failed': 71,
    'backend-unavailable': 79,
    'state-dir': 74,
  });
  assert.equal(new Set(Object.values(codes)).size, 4, 'one code per kind');
  assert.ok(!Object.values(codes).includes(ExitCode.NO_INPUT));
});
