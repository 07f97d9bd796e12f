// `npm run bench`: measures the service against its floors in the same run, on a loopback rsync
// daemon. Not a test: it prints a table and writes bench-results.json. See docs/performance.md.
// The workloads live in scripts/bench/*.ts; each module is one line of the registry below.
//   node dist/scripts/bench.js [--only a,b,c] [--compare 'CMD -o {conf}'] [--json FILE] [--quick] [--logs DIR] [--profile DIR]
import { writeFileSync } from 'node:fs';
import { args, rows, type Workload } from './bench/common.js';
import { burstWorkloads } from './bench/burst.js';
import { excludedWorkloads } from './bench/excluded.js';
import { loneWorkloads } from './bench/lone.js';
import { memoryWorkloads } from './bench/memory.js';
import { outageWorkloads } from './bench/outage.js';
import { scaleWorkloads } from './bench/scale.js';
import { sshWorkloads } from './bench/ssh.js';
import { treeWorkloads } from './bench/tree.js';

/** Every workload by its --only key, in the order a full run takes them. */
const W: Record<string, Workload> = {
  ...loneWorkloads,
  ...burstWorkloads,
  ...treeWorkloads,
  ...outageWorkloads,
  ...excludedWorkloads,
  ...sshWorkloads,
  ...scaleWorkloads,
  ...memoryWorkloads({ rows, quick: args.quick }), // m, mb, mbs, mw, mi
};
/** Too long for the default run (minutes): only when named in --only (docs/performance.md). */
const ON_REQUEST = new Set(Object.keys(scaleWorkloads));

if (args.help) {
  process.stdout.write(`usage: node dist/scripts/bench.js [options]
  --only ${Object.keys(W).join(',')}
                              run some workloads (default: all but scale; (g) is measured within b and bb)
  --compare 'CMD -o {conf}'   also run another sersync-compatible command on the same confxml.xml
  --json FILE                 where to write the results (default bench-results.json)
  --quick                     smaller sizes (a smoke run, not a measurement)
  --logs DIR                  keep our service's log per workload, its per-thread CPU for b/bb, and
                              the per-stage timings of (a)
  --profile DIR               as --logs, plus V8 CPU profiles (slows the service down)
`);
  process.exit(0);
}

async function main(): Promise<void> {
  const selected = args.only
    ? args.only.split(',')
    : Object.keys(W).filter((k) => !ON_REQUEST.has(k));
  const labels = args.compare ? ['ours', 'compare'] : ['ours'];
  for (const key of selected) {
    const w = W[key];
    if (!w) throw new Error(`unknown workload ${key} (known: ${Object.keys(W).join(', ')})`);
    for (const label of labels) {
      process.stderr.write(`running ${key} (${label})…\n`);
      await w(label);
    }
  }
  const fmt = (n: number): string =>
    Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : '-';
  console.log(
    '\n| workload | service | value | floor | ratio | rsync runs | note |\n|---|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.workload} | ${r.service} | ${fmt(r.value)} ${r.unit} | ${fmt(r.floor)} ${r.unit === 'MB' ? 'MB' : 'ms'} | ${fmt(r.ratio)} | ${r.runs ?? '-'} | ${r.note ?? ''} |`,
    );
  writeFileSync(
    args.json,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
