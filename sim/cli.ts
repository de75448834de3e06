// The simulator's entry point: npm run sim -- --seeds N [--nodes 3|5] [--groups G] [--seed S]
// [--quiesce] (idle groups go quiet and a simulated failure detector stands in for heartbeats).
// Runs seeds S..S+N-1, prints a replay command for each failure, the coverage counters, the
// trace hash of the whole batch, and ends with "N passed, M failed".
import { parseArgs } from 'node:util';
import { positiveInteger } from './cli-args.js';
import { addCoverage, emptyCoverage, missingCoverage, requiredCoverage } from './coverage.js';
import { runSeed } from './run-seed.js';
import { TraceHash } from './trace-hash.js';

/** Below this many seeds a batch is a replay, not a claim of coverage. */
const coverageBatch = 20;

function main(): number {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      nodes: { type: 'string', default: '3' },
      groups: { type: 'string', default: '2' },
      quiet: { type: 'boolean', default: false },
      quiesce: { type: 'boolean', default: false },
      'stop-on-failure': { type: 'boolean', default: false },
    },
  });
  const seeds = positiveInteger('seeds', values.seeds);
  const first = positiveInteger('seed', values.seed);
  const nodes = positiveInteger('nodes', values.nodes);
  const groups = positiveInteger('groups', values.groups);
  if (nodes !== 3 && nodes !== 5) throw new RangeError('--nodes must be 3 or 5');

  const total = emptyCoverage();
  const batchHash = new TraceHash();
  let passed = 0;
  let failed = 0;
  let operations = 0;
  const started = performance.now();
  for (let seed = first; seed < first + seeds; seed += 1) {
    const result = runSeed({ seed, nodes, groups, quiesce: values.quiesce });
    batchHash.add(result.traceHash);
    addCoverage(total, result.coverage);
    operations += result.operations;
    if (result.passed) passed += 1;
    else {
      failed += 1;
      console.log(`seed ${seed} FAILED: ${result.failure}`);
      const mode = values.quiesce ? ' --quiesce' : '';
      console.log(
        `  replay: npm run sim -- --seeds 1 --seed ${seed} --nodes ${nodes} --groups ${groups}${mode}`,
      );
      if (values['stop-on-failure']) {
        console.log(`stopped after ${seed - first + 1} seeds`);
        break;
      }
    }
    if (!values.quiet && seeds > 1 && (seed - first + 1) % 100 === 0) {
      const rate = ((seed - first + 1) / ((performance.now() - started) / 1000)).toFixed(1);
      process.stderr.write(`  ${seed - first + 1}/${seeds} seeds, ${failed} failed, ${rate} seeds/s\n`);
    }
    if (seeds === 1)
      console.log(`seed ${seed} trace ${result.traceHash} swarm ${JSON.stringify(result.swarm)}`);
  }
  const shown = requiredCoverage(values.quiesce);
  console.log(`coverage: ${shown.map((name) => `${name}=${total[name]}`).join(' ')}`);
  console.log(`operations checked: ${operations}`);
  console.log(`trace hash: ${batchHash.digest()}`);
  const missing = missingCoverage(total, values.quiesce);
  if (seeds >= coverageBatch && failed === 0 && missing.length > 0) {
    console.log(`coverage FAILED: never reached ${missing.join(', ')}`);
    failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
