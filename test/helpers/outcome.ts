// Splits a BatchOutcome into its verdict (what the scheduler acts on) and the run's facts, so a
// test can compare the verdict exactly and check the facts on their own.
import type { BatchOutcome, RunFacts } from '../../src/queue/types.js';

/** The outcome without its `run` facts. */
export function verdictOf(o: BatchOutcome): Omit<BatchOutcome, 'run'> {
  const { run: _run, ...verdict } = o;
  return verdict;
}

/** The run facts, asserting they are there and plausible (a real rsync ran). */
export function factsOf(o: BatchOutcome): RunFacts {
  if (o.run === undefined) throw new Error(`no run facts in ${JSON.stringify(o)}`);
  return o.run;
}
