// Test access to the loopback OpenSSH sshd launcher shared with the benchmark.
export { startSshd, SSHD, type Sshd } from '../../scripts/lib/sshd.js';
