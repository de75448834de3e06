// npm run fuzz -- [--frames N] [--seed S]: starts a node of its own on loopback, sends it N
// hostile frames (default 1,000,000), then checks it still answers commands. Prints progress,
// then what it sent and what the node refused; exits non-zero if the node stopped serving.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNode } from 'flotilla';
import { freePort } from '../runtime/local-cluster.js';
import { fuzzNode } from './transport-fuzz.js';

const counterSource = `export default {
  init: () => 0,
  apply: (meta, command, state) => ({ state: state + 1, reply: state + 1 }),
};`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { frames: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } },
  });
  const frames = Number(values.frames);
  const seed = Number(values.seed);
  if (!(Number.isInteger(frames) && frames > 0)) throw new Error('--frames must be a positive integer');
  const root = mkdtempSync(join(tmpdir(), 'flotilla-fuzz-'));
  const secret = 'fuzz-secret-of-this-run';
  const port = await freePort();
  const node = await startNode({
    name: 'n',
    dataDir: join(root, 'n'),
    listen: `127.0.0.1:${port}`,
    peers: { a: `127.0.0.1:${await freePort()}` },
    secret,
  });
  // Every refusal is reported as an error event; they are counted in the overview instead.
  node.on('error', () => {});
  try {
    const machine = `data:text/javascript,${encodeURIComponent(counterSource)}`;
    await node.createGroup('probe', { machine: { module: machine }, members: ['n'] });
    const started = performance.now();
    const report = await fuzzNode(
      { host: '127.0.0.1', port, secret, asNode: 'a' },
      frames,
      seed,
      8,
      (sent) => {
        if (sent % 50_000 === 0) process.stderr.write(`  ${sent.toLocaleString('en-US')} frames sent\n`);
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const served = await node.command('probe', 'ping', { timeoutMs: 5000 });
    const { transport } = node.overview();
    console.log(
      `${report.frames.toLocaleString('en-US')} frames over ${report.connections.toLocaleString('en-US')} connections in ${seconds.toFixed(1)} s (seed ${seed})`,
    );
    console.log(
      `refused: ${transport.rejected.toLocaleString('en-US')} connections; messages for unknown groups: ${transport.unknownGroup}`,
    );
    console.log(`connections still open a second after the fuzzer ended them: ${report.leftOpen}`);
    console.log(`the node still serves: command answered ${String(served)}`);
    return report.leftOpen === 0 ? 0 : 1;
  } finally {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
