// Membership asked for by node name, as callers ask for it, turned into the core's changes of
// member identities: a node whose member in the configuration is another incarnation (its data
// was lost) is replaced, not added twice; a change already in effect is done.
import { type Config, type MembershipChange, type NodeId, nextConfig } from '../raft/index.js';
import { isOn, nodeOf } from './member-id.js';

/** A change as the node asks its group's leader for it: by node, with the joining member's identity. */
export type NodeChange =
  | { readonly kind: 'add'; readonly node: string; readonly member: NodeId; readonly voter: boolean }
  | { readonly kind: 'remove'; readonly node: string };

/** The member of `config` that lives on `node`, if any. */
export function memberOn(config: Config, node: string): NodeId | null {
  for (const member of config.voters) if (isOn(member, node)) return member;
  for (const member of config.nonVoters) if (isOn(member, node)) return member;
  return null;
}

export type Translated =
  | { readonly kind: 'change'; readonly change: MembershipChange }
  /** Already in effect (or under way, as a promotion): nothing to append. */
  | { readonly kind: 'done' }
  | { readonly kind: 'refused'; readonly reason: string };

/** The core's change that makes `change` true of `config`. */
export function translate(config: Config, change: NodeChange): Translated {
  const existing = memberOn(config, change.node);
  if (change.kind === 'remove') {
    if (existing === null) return { kind: 'refused', reason: `node ${change.node} is not a member` };
    return checked(config, { kind: 'remove', node: existing });
  }
  if (existing === null) return checked(config, { kind: 'add', node: change.member, voter: change.voter });
  if (existing !== change.member)
    return checked(config, { kind: 'replace', old: existing, node: change.member });
  const promoting = config.voters.includes(existing) || config.promote.includes(existing);
  if (!change.voter || promoting) return { kind: 'done' };
  return checked(config, { kind: 'add', node: existing, voter: true });
}

function checked(config: Config, change: MembershipChange): Translated {
  if (nextConfig(config, change) !== null) return { kind: 'change', change };
  return {
    kind: 'refused',
    reason:
      change.kind === 'remove'
        ? `the last voter, ${nodeOf(change.node)}, cannot be removed`
        : `the change cannot be made to this configuration (${change.kind})`,
  };
}

/** The members of `config` on `node`, voters and non-voters, of any incarnation. */
export function membersOn(config: Config, node: string): NodeId[] {
  return [...config.voters, ...config.nonVoters].filter((member) => isOn(member, node));
}
