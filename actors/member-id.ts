// A group member's identity: the name of its node and the incarnation of its storage, as
// `node#incarnation`. A member whose data is gone (a wiped disk, a group deleted and created
// again, a member removed and added back) comes back with a new incarnation, so the Raft core
// sees a different member and nothing the old one promised (a vote, an acknowledgement) counts
// for it. Configurations, votes and messages name members this way; callers see node names.
import { randomBytes } from 'node:crypto';

/** Characters of an incarnation: 8 random bytes in base64url, so two incarnations of one member never meet. */
const incarnationLength = 11;
/** Random bytes drawn at once for many identities: a node creating thousands of groups draws rarely. */
const poolBytes = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * A new identity for this node's member of a group: a fresh incarnation, from `random` when
 * given (the simulator's), else from a pool of the process's random bytes.
 */
export function newMemberId(node: string, random?: (count: number) => Uint8Array): string {
  let incarnation: string;
  if (random !== undefined) {
    incarnation = Buffer.from(random(8)).toString('base64url');
  } else {
    if (poolAt + 8 > pool.byteLength) {
      pool = randomBytes(poolBytes);
      poolAt = 0;
    }
    incarnation = pool.toString('base64url', poolAt, poolAt + 8);
    poolAt += 8;
  }
  // Joined, not concatenated: one flat string, as long-lived as the configurations that hold it.
  return [node, incarnation].join('#');
}

/**
 * The node a member lives on. A member stored before identities had incarnations is named by
 * its node alone, and so is every member of the simulator and the core's tests.
 */
export function nodeOf(member: string): string {
  const cut = member.length - incarnationLength - 1;
  return cut > 0 && hasIncarnationAt(member, cut) ? member.slice(0, cut) : member;
}

/**
 * Whether `member` lives on `node` (nodeOf(member) === node, with nothing allocated): every
 * message received, and every group told of a peer node going down, asks this.
 */
export function isOn(member: string, node: string): boolean {
  if (member.length !== node.length + incarnationLength + 1)
    return member === node && !hasIncarnation(member);
  return hasIncarnationAt(member, node.length) && member.startsWith(node);
}

function hasIncarnation(member: string): boolean {
  const cut = member.length - incarnationLength - 1;
  return cut > 0 && hasIncarnationAt(member, cut);
}

/** `#` at `cut`, then an incarnation's characters to the end. */
function hasIncarnationAt(member: string, cut: number): boolean {
  if (member.charCodeAt(cut) !== 35) return false;
  for (let at = cut + 1; at < member.length; at += 1) if (!isBase64Url(member.charCodeAt(at))) return false;
  return true;
}

function isBase64Url(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 95
  );
}
