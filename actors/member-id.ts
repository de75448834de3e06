// A group member's identity: the name of its node and the incarnation of its storage, as
// `node#incarnation`. A member whose data is gone (a wiped disk, a group deleted and created
// again, a member removed and added back) comes back with a new incarnation, so the Raft core
// sees a different member and nothing the old one promised (a vote, an acknowledgement) counts
// for it. Configurations, votes and messages name members this way; callers see node names.
import { randomBytes } from 'node:crypto';

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
/** Characters of an incarnation: 50 random bits, so two incarnations of one member never meet. */
const incarnationLength = 10;
const incarnationPattern = /^[a-z2-7]{10}$/;

/** A new identity for this node's member of a group: a fresh incarnation. */
export function newMemberId(node: string): string {
  const bytes = randomBytes(incarnationLength);
  let incarnation = '';
  for (const byte of bytes) incarnation += alphabet[byte & 31];
  return `${node}#${incarnation}`;
}

/**
 * The node a member lives on. A member stored before identities had incarnations is named by
 * its node alone, and so is every member of the simulator and the core's tests.
 */
export function nodeOf(member: string): string {
  const cut = member.length - incarnationLength - 1;
  if (cut > 0 && member[cut] === '#' && incarnationPattern.test(member.slice(cut + 1)))
    return member.slice(0, cut);
  return member;
}
