// The simulator's entry point (production nodes): npm run sim -- --seeds N [--seed S]
// [--steps K] [--nodes 3|5] [--quiet] [--stop-on-failure]. Runs seeds S..S+N-1 of run-cluster-seed.ts, prints
// a replay command for each failure, the coverage counters, the trace hash of the whole batch,
// and ends with "N passed, M failed".
import { parseArgs } from 'node:util';
import { positiveInteger } from '../cli-args.js';
import { TraceHash } from '../trace-hash.js';
import { type ClusterCoverage, clusterCoverageNames, runClusterSeed } from './run-cluster-seed.js';

const machine = new URL('./counter-machine.js', import.meta.url).href;
const upgrade = new URL('./counter-machine-v1.js', import.meta.url).href;
/** Below this many seeds a batch is a replay, not a claim of coverage. */
const coverageBatch = 20;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      steps: { type: 'string', default: '40' },
      nodes: { type: 'string', default: '3' },
      quiet: { type: 'boolean', default: false },
      'stop-on-failure': { type: 'boolean', default: false },
    },
  });
  const seeds = positiveInteger('seeds', values.seeds);
  const first = positiveInteger('seed', values.seed);
  const steps = positiveInteger('steps', values.steps);
  const nodes = positiveInteger('nodes', values.nodes);
  if (nodes !== 3 && nodes !== 5) throw new RangeError('--nodes must be 3 or 5');
  const total = Object.fromEntries(
    clusterCoverageNames.map((name) => [name, 0]),
  ) as unknown as ClusterCoverage;
  const batchHash = new TraceHash();
  let passed = 0;
  let failed = 0;
  const started = performance.now();
  for (let seed = first; seed < first + seeds; seed += 1) {
    const result = await runClusterSeed({ seed, module: machine, upgrade, steps, nodes });
    batchHash.add(result.traceHash);
    for (const name of clusterCoverageNames) total[name] += result.coverage[name];
    if (result.failure === null) passed += 1;
    else {
      failed += 1;
      console.log(`seed ${seed} FAILED: ${result.failure}`);
      console.log(`  replay: npm run sim -- --seeds 1 --seed ${seed} --steps ${steps} --nodes ${nodes}`);
      if (values['stop-on-failure']) {
        console.log(`stopped after ${seed - first + 1} seeds`);
        break;
      }
    }
    if (!values.quiet && seeds > 1 && (seed - first + 1) % 10 === 0) {
      const rate = ((seed - first + 1) / ((performance.now() - started) / 1000)).toFixed(2);
      process.stderr.write(`  ${seed - first + 1}/${seeds} seeds, ${failed} failed, ${rate} seeds/s\n`);
    }
    if (seeds === 1) console.log(`seed ${seed} trace ${result.traceHash}`);
  }
  console.log(`coverage: ${clusterCoverageNames.map((name) => `${name}=${total[name]}`).join(' ')}`);
  console.log(`trace hash: ${batchHash.digest()}`);
  const missing = clusterCoverageNames.filter((name) => total[name] === 0);
  if (seeds >= coverageBatch && failed === 0 && missing.length > 0) {
    console.log(`coverage FAILED: never reached ${missing.join(', ')}`);
    failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
