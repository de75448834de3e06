#!/usr/bin/env node
// The `flotilla` command. Today: `flotilla bench wal [--seconds S] [--json] [--recovery-mb A,B,C]
// [--out DIR]`. The node, demo and status commands come with the runtime.
import { parseArgs } from 'node:util';
import { benchWal, printFigures } from '../bench/wal.js';

const usage = `usage: flotilla bench wal [--seconds S] [--json] [--recovery-mb 64,256,1024] [--out DIR]`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, name, ...rest] = argv;
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
