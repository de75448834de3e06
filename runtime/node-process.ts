// `flotilla node --config file.json`: one node as a process. It says where it listens, reports
// peers coming and going and refused connections on stderr, and closes cleanly on SIGTERM or
// SIGINT (a SIGKILL loses nothing acknowledged: that is the WAL's job). With --leader-events it
// also writes each leader change its members see to stdout, for a watcher to time failovers by.

import type { FlotillaNode } from './node.js';
import { startNode } from './node.js';
import { readNodeConfig } from './node-config.js';

export interface NodeProcessOptions {
  /** Write `leader [group, leader, term, at]` lines (JSON; `at` in epoch ms) to stdout. */
  readonly leaderEvents?: boolean;
}

/** The prefix of a leader-event line on a node process's stdout. */
export const leaderEventPrefix = 'leader ';

/** A leader change as a node process reported it: `at` is the wall-clock moment, in epoch ms. */
export interface LeaderEvent {
  readonly group: string;
  readonly leader: string | null;
  readonly term: number;
  readonly at: number;
}

/** The leader event of one stdout line, or null for any other line. */
export function parseLeaderEvent(line: string): LeaderEvent | null {
  if (!line.startsWith(leaderEventPrefix)) return null;
  const [group, leader, term, at] = JSON.parse(line.slice(leaderEventPrefix.length)) as [
    string,
    string | null,
    number,
    number,
  ];
  return { group, leader, term, at };
}

/**
 * Writes each leader change to stdout, the lines of one turn in one write: thousands of groups
 * failing over at once are a few writes, not thousands.
 */
function reportLeaders(node: FlotillaNode): void {
  let lines: string[] = [];
  node.on('leader', (group, leader, term) => {
    // Wall-clock time at sub-millisecond resolution: a watcher in another process compares it to its own.
    const at = performance.timeOrigin + performance.now();
    if (lines.length === 0) setImmediate(() => process.stdout.write(flush()));
    lines.push(`${leaderEventPrefix}${JSON.stringify([group, leader, term, at])}\n`);
  });
  const flush = () => {
    const text = lines.join('');
    lines = [];
    return text;
  };
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

export async function runNodeProcess(configPath: string, flags: NodeProcessOptions = {}): Promise<number> {
  const options = readNodeConfig(configPath);
  const node = await startNode(options);
  if (flags.leaderEvents === true) reportLeaders(node);
  node.on('up', (peer) => log(`peer ${peer} up`));
  node.on('down', (peer) => log(`peer ${peer} down`));
  node.on('error', (error) => log(`${(error as { code?: string }).code ?? 'ERROR'} ${error.message}`));
  const peers = Object.keys(options.peers ?? {}).join(', ') || 'none';
  const groups = node.overview().groups;
  console.log(
    `flotilla node ${node.name} listening on ${options.listen ?? '(in-process only)'}; peers: ${peers}; groups: ${groups}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: closing`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await node.close();
  log('closed');
  return 0;
}
