// Majority arithmetic over a configuration's voters.
import type { Config, NodeId } from './types.js';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The highest index held by a majority of voters, given each voter's acknowledged index. */
export function quorumIndex(config: Config, indexOf: (node: NodeId) => number): number {
  const indices = config.voters.map(indexOf).sort((a, b) => b - a);
  return indices[quorumSize(indices.length) - 1] ?? 0;
}

export function hasQuorum(config: Config, agrees: (node: NodeId) => boolean): boolean {
  let count = 0;
  for (const voter of config.voters) if (agrees(voter)) count += 1;
  return count >= quorumSize(config.voters.length);
}

export function isVoter(config: Config, node: NodeId): boolean {
  return config.voters.includes(node);
}

export function isMember(config: Config, node: NodeId): boolean {
  return config.voters.includes(node) || config.nonVoters.includes(node);
}
