// A second, unprivileged local user for the safety tests: nobody (65534), via setpriv (root only).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** True when the tests run as root (setpriv can become nobody). */
export const isRoot = process.geteuid?.() === 0;

/** Runs `sh -c script` as nobody and returns its exit status and stderr. */
export function runAsNobody(script: string): { status: number | null; stderr: string } {
  const r = spawnSync('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    'sh',
    '-c',
    script,
  ]);
  return { status: r.status, stderr: r.stderr.toString() };
}

/** Runs `sh -c script` as nobody; fails the test when the script fails. */
export function asNobody(script: string): void {
  const r = runAsNobody(script);
  assert.equal(r.status, 0, r.stderr);
}
