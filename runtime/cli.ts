#!/usr/bin/env node
// The `flotilla` command: `flotilla demo` (the README's main job) and `flotilla bench wal`.
import { parseArgs } from 'node:util';
import { benchWal, printFigures } from '../bench/wal.js';
import { runDemo } from '../examples/demo/demo.js';

const usage = `usage:
  flotilla demo [--groups N] [--seconds S] [--in-flight K]
  flotilla bench wal [--seconds S] [--json] [--recovery-mb 64,256,1024] [--out DIR]`;

function positive(value: string, flag: string, max: number): number {
  const number = Number(value);
  if (!(number > 0 && number <= max)) throw new RangeError(`${flag} must be in (0, ${max}], got ${value}`);
  return number;
}

async function demo(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      groups: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '20' },
      'in-flight': { type: 'string', default: '2000' },
    },
  });
  const groups = Math.round(positive(values.groups, '--groups', 1_000_000));
  const seconds = positive(values.seconds, '--seconds', 3600);
  const inFlight = Math.round(positive(values['in-flight'], '--in-flight', 100_000));
  console.log(
    `Flotilla demo: 3 nodes in this process, ${groups.toLocaleString('en-US')} queue groups, fsync on`,
  );
  const summary = await runDemo({ groups, seconds, inFlight, write: (line) => console.log(`  ${line}`) });
  console.log('summary');
  console.log(
    `  groups                 ${summary.groups.toLocaleString('en-US')} (created in ${summary.creationSeconds.toFixed(1)} s)`,
  );
  console.log(`  commands/s             ${Math.round(summary.commandsPerSecond).toLocaleString('en-US')}`);
  console.log(
    `  enqueue latency        p50 ${summary.enqueueP50.toFixed(1)} ms, p99 ${summary.enqueueP99.toFixed(1)} ms`,
  );
  console.log(
    `  heap per group         ${Math.round(summary.heapBytesPerGroup).toLocaleString('en-US')} bytes (3 members each)`,
  );
  console.log(`  WAL entries per fsync  ${summary.walEntriesPerSync.toFixed(1)}`);
  console.log(`  timeouts / overloaded  ${summary.timeouts} / ${summary.overloaded}`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, name, ...rest] = argv;
  if (command === 'demo') return demo(argv.slice(1));
  if (command !== 'bench' || name !== 'wal') {
    console.error(usage);
    return 2;
  }
  const { values } = parseArgs({
    args: [...rest],
    options: {
      seconds: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      'recovery-mb': { type: 'string', default: '64,256,1024' },
      out: { type: 'string', default: 'bench-results' },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0 && seconds <= 3600))
    throw new RangeError(`--seconds must be in (0, 3600], got ${values.seconds}`);
  const recoveryMegabytes = values['recovery-mb']
    .split(',')
    .filter((part) => part !== '')
    .map((part) => {
      const megabytes = Number(part);
      if (!(Number.isInteger(megabytes) && megabytes > 0))
        throw new RangeError(`--recovery-mb takes positive integers, got ${part}`);
      return megabytes;
    });
  const result = await benchWal({ seconds, recoveryMegabytes, resultDirectory: values.out });
  printFigures(result.figures);
  console.log(`results: ${values.out}/wal.json, chart: ${values.out}/wal.svg`);
  if (values.json) console.log(JSON.stringify(result));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
