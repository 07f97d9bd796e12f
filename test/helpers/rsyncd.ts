// Test access to the loopback rsync daemon launcher shared with the demo and the benchmark.
export {
  startRsyncd,
  freePort,
  type Rsyncd,
  type RsyncdModule,
  type RsyncdOptions,
} from '../../scripts/lib/rsyncd.js';
