// npm run sim:bugs -- [--max-seeds N] [--nodes 3|5] [--only TEXT]: plants each bug of bugs.ts
// in a copy of the tree, builds it, and runs the simulator's seeds (production nodes) in order
// until one fails. Prints how many seeds each bug needed; a bug that survives every seed fails the run.
// Without --nodes, each bug runs on the cluster size it names (three unless it says otherwise).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInteger } from '../cli-args.js';
import { type PlantedBug, plantBug, plantedBugs } from './bugs.js';

const root = resolve(import.meta.dirname, '..', '..', '..');

interface Outcome {
  readonly bug: PlantedBug;
  readonly caughtAt: number | null;
  readonly failure: string;
}

function plant(bug: PlantedBug, maxSeeds: number, nodes: string): Outcome {
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bug-'));
  try {
    // Everything the build compiles: a bug planted in one layer is met through every layer above it.
    const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    for (const entry of [...include, 'tsconfig.json', 'tsconfig.build.json', 'package.json']) {
      cpSync(join(root, entry), join(work, entry), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
    const path = join(work, bug.file);
    writeFileSync(path, plantBug(bug, readFileSync(path, 'utf8')));
    execFileSync(join(work, 'node_modules', '.bin', 'tsc'), ['-p', join(work, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
    const simulator = join(work, 'dist', 'sim', 'cluster', 'cli.js');
    const args = ['--seeds', String(maxSeeds), '--quiet', '--stop-on-failure', '--nodes', nodes];
    const run = spawnSync(process.execPath, [simulator, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const stopped = /stopped after (\d+) seeds/.exec(run.stdout);
    const failure = /FAILED: (.*)/.exec(run.stdout)?.[1] ?? '';
    return { bug, caughtAt: stopped === null ? null : Number(stopped[1]), failure };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): number {
  const { values } = parseArgs({
    options: {
      'max-seeds': { type: 'string', default: '2000' },
      nodes: { type: 'string' },
      only: { type: 'string', default: '' },
    },
  });
  const maxSeeds = positiveInteger('max-seeds', values['max-seeds']);
  let survivors = 0;
  const bugs = plantedBugs.filter((bug) => bug.name.includes(values.only));
  for (const bug of bugs) {
    process.stderr.write(`planting: ${bug.name}\n`);
    const outcome = plant(bug, maxSeeds, values.nodes ?? String(bug.nodes ?? 3));
    if (outcome.caughtAt === null) survivors += 1;
    const verdict =
      outcome.caughtAt === null ? `NOT caught in ${maxSeeds} seeds` : `caught at seed ${outcome.caughtAt}`;
    console.log(
      `${bug.name}: ${verdict}${outcome.failure === '' ? '' : ` (${outcome.failure.slice(0, 160)})`}`,
    );
  }
  console.log(`${bugs.length - survivors} passed, ${survivors} failed`);
  return survivors === 0 ? 0 : 1;
}

process.exitCode = main();
