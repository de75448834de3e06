#!/usr/bin/env node
// The `flotilla` command: `flotilla node` (a node process), `flotilla status` (what one reports),
// `flotilla demo` (the README's main job) and `flotilla bench NAME`. It sits above runtime/,
// bench/ and examples/, which it runs; nothing below imports it.
import { parseArgs } from 'node:util';
import { benchDensity } from '../bench/density.js';
import { benchFailover } from '../bench/failover.js';
import { benchRecovery } from '../bench/recovery.js';
import type { BenchResult } from '../bench/report.js';
import { benchThroughput } from '../bench/throughput.js';
import { benchWal, printFigures } from '../bench/wal.js';
import { runDemo } from '../examples/demo/demo.js';
import { readNodeConfig } from '../runtime/node-config.js';
import { runNodeProcess } from '../runtime/node-process.js';
import { NodeClient } from '../runtime/tcp/node-client.js';

const usage = `usage:
  flotilla node --config FILE.json [--leader-events]
  flotilla status --node HOST:PORT [--group NAME] [--config FILE.json]   (or the secret in FLOTILLA_SECRET)
  flotilla demo [--groups N] [--seconds S] [--in-flight K]
  flotilla bench wal [--seconds S] [--recovery-mb 64,256,1024] [--json] [--out DIR]
  flotilla bench density [--groups 1000,10000,100000] [--idle-seconds S] [--json] [--out DIR]
  flotilla bench throughput [--groups 1,100,1000,10000] [--seconds S] [--threads 0,1,2] [--from leader,any] [--processes] [--json] [--out DIR]
  flotilla bench failover [--groups 10000] [--json] [--out DIR]
  flotilla bench recovery [--groups 10000] [--wal-mb 1024] [--json] [--out DIR]`;

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
    `Flotilla demo: 3 node processes on loopback, ${groups.toLocaleString('en-US')} queue groups, fsync on`,
  );
  const summary = await runDemo({ groups, seconds, inFlight, write: (line) => console.log(`  ${line}`) });
  const seconds2 = (value: number) => `${value.toFixed(2)} s`;
  console.log('summary');
  console.log(
    `  groups                 ${summary.groups.toLocaleString('en-US')} (created in ${summary.creationSeconds.toFixed(1)} s)`,
  );
  console.log(`  commands/s             ${Math.round(summary.commandsPerSecond).toLocaleString('en-US')}`);
  console.log(
    `  enqueue latency        p50 ${summary.enqueueP50.toFixed(1)} ms, p99 ${summary.enqueueP99.toFixed(1)} ms`,
  );
  console.log(
    `  memory per group       ${Math.round(summary.rssBytesPerGroup).toLocaleString('en-US')} bytes of RSS across the 3 node processes`,
  );
  console.log(`  WAL entries per fsync  ${summary.walEntriesPerSync.toFixed(1)}`);
  console.log(`  timeouts / overloaded  ${summary.timeouts} / ${summary.overloaded}`);
  console.log(
    `  failover               ${summary.killed} killed while leading ${summary.groupsLedByKilled.toLocaleString('en-US')} groups: ` +
      `all led again after ${seconds2(summary.failoverSeconds)} (p50 ${seconds2(summary.failoverP50Seconds)})`,
  );
  console.log(
    `  restart                ${seconds2(summary.restartSeconds)} to listen, caught up ${seconds2(summary.catchUpSeconds)} after`,
  );
  return 0;
}

function integers(text: string, flag: string): number[] {
  return text
    .split(',')
    .filter((part) => part !== '')
    .map((part) => {
      const number = Number(part);
      if (!(Number.isInteger(number) && number > 0))
        throw new RangeError(`${flag} takes positive integers, got ${part}`);
      return number;
    });
}

/** Prints a result's figures, where it was written, and with --json the result as the last line. */
function report(result: BenchResult, out: string, json: boolean): number {
  printFigures(result.figures);
  console.log(`results: ${out}/${result.bench}.json, chart: ${out}/${result.bench}.svg`);
  if (json) console.log(JSON.stringify(result));
  return 0;
}

async function bench(name: string | undefined, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      seconds: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results' },
      'recovery-mb': { type: 'string', default: '64,256,1024' },
      groups: { type: 'string' },
      'idle-seconds': { type: 'string', default: '10' },
      threads: { type: 'string', default: '0' },
      from: { type: 'string', default: 'leader' },
      processes: { type: 'boolean', default: false },
      'wal-mb': { type: 'string', default: '1024' },
    },
  });
  const out = values.out;
  switch (name) {
    case 'wal': {
      const seconds = positive(values.seconds ?? '5', '--seconds', 3600);
      const recoveryMegabytes = integers(values['recovery-mb'], '--recovery-mb');
      return report(await benchWal({ seconds, recoveryMegabytes, resultDirectory: out }), out, values.json);
    }
    case 'density': {
      const sizes = integers(values.groups ?? '1000,10000,100000', '--groups');
      const idleSeconds = positive(values['idle-seconds'], '--idle-seconds', 3600);
      return report(await benchDensity({ sizes, idleSeconds, resultDirectory: out }), out, values.json);
    }
    case 'throughput': {
      const sizes = integers(values.groups ?? '1,100,1000,10000', '--groups');
      const seconds = positive(values.seconds ?? '10', '--seconds', 3600);
      const threads = values.threads.split(',').map((part) => {
        const count = Number(part);
        if (!(part !== '' && Number.isInteger(count) && count >= 0 && count <= 64))
          throw new RangeError(`--threads takes integers from 0 to 64, got ${part}`);
        return count;
      });
      const from = values.from.split(',').map((part) => {
        if (part !== 'leader' && part !== 'any')
          throw new RangeError(`--from takes leader and any, got ${part}`);
        return part;
      });
      return report(
        await benchThroughput({
          sizes,
          seconds,
          threads,
          from,
          processes: values.processes,
          resultDirectory: out,
        }),
        out,
        values.json,
      );
    }
    case 'failover': {
      const [groups] = integers(values.groups ?? '10000', '--groups');
      return report(await benchFailover({ groups: groups!, resultDirectory: out }), out, values.json);
    }
    case 'recovery': {
      const [groups] = integers(values.groups ?? '10000', '--groups');
      const walMegabytes = positive(values['wal-mb'], '--wal-mb', 1_000_000);
      return report(
        await benchRecovery({ groups: groups!, walMegabytes, resultDirectory: out }),
        out,
        values.json,
      );
    }
    default:
      console.error(usage);
      return 2;
  }
}

async function nodeCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { config: { type: 'string' }, 'leader-events': { type: 'boolean', default: false } },
  });
  if (values.config === undefined) {
    console.error(usage);
    return 2;
  }
  return runNodeProcess(values.config, { leaderEvents: values['leader-events'] });
}

/** Prints a node's overview, or one member's status, as JSON. */
async function statusCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { node: { type: 'string' }, group: { type: 'string' }, config: { type: 'string' } },
  });
  if (values.node === undefined) {
    console.error(usage);
    return 2;
  }
  const config = values.config === undefined ? undefined : readNodeConfig(values.config);
  const secret = config?.secret ?? process.env.FLOTILLA_SECRET;
  if (secret === undefined) throw new Error('the secret: give --config FILE.json or set FLOTILLA_SECRET');
  const client = await NodeClient.connect({
    address: values.node,
    secret,
    ...(config?.tls === undefined ? {} : { tls: config.tls }),
  });
  try {
    const answer = values.group === undefined ? await client.overview() : await client.status(values.group);
    console.log(JSON.stringify(answer, null, 2));
    return 0;
  } finally {
    client.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, name, ...rest] = argv;
  if (command === 'node') return nodeCommand(argv.slice(1));
  if (command === 'status') return statusCommand(argv.slice(1));
  if (command === 'demo') return demo(argv.slice(1));
  if (command === 'bench') return bench(name, rest);
  console.error(usage);
  return 2;
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
