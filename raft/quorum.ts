// Majority arithmetic over a configuration's voters.
import type { Config, NodeId } from './types.js';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** Reused by quorumIndex: a leader computes its commit index after every acknowledgement. */
const sorted: number[] = [];

/** The highest index held by a majority of voters, given each voter's acknowledged index. */
export function quorumIndex(config: Config, indexOf: (node: NodeId) => number): number {
  const voters = config.voters;
  if (voters.length === 0) return 0;
  // Insertion sort, highest first, into a reused array: a handful of voters, and no garbage.
  for (let at = 0; at < voters.length; at += 1) {
    const index = indexOf(voters[at]!);
    let slot = at;
    for (; slot > 0 && sorted[slot - 1]! < index; slot -= 1) sorted[slot] = sorted[slot - 1]!;
    sorted[slot] = index;
  }
  return sorted[quorumSize(voters.length) - 1]!;
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
