// Creating a group's members, all or nothing and founded once. Every member node is asked first
// whether it holds the group, and, if not, whether the machine loads and starts there and what
// identity a new member would have; nothing is written until every node has said yes. If any
// member holds the group, it exists: the others are created empty and wait for the leader's
// snapshot (a node whose data is gone comes back so, never as a founder), except a founder whose
// creation never reached it, which still joins as one. Only when none holds it is the group
// founded, by the identities the nodes offered.
import { type Clock, groupHash, type Outcome } from '../actors/index.js';
import type { Founding, GroupRecord } from './directory.js';
import type { Prepared } from './envelope.js';
import { badArgument } from './errors.js';
import { throwIfFailed } from './outcomes.js';
import { backOff, type Router } from './router.js';
import type { Transport } from './transport.js';

export interface CreationNode {
  readonly name: string;
  readonly clock: Clock;
  readonly router: Router;
  readonly transport: Transport;
  /** Asks `node`'s member of a new group to stand for election now rather than after a timeout. */
  campaign(group: string, node: string): void;
}

/** Whether createMembers founded the group or found it held and joined the missing members to it. */
export type Creation = 'founded' | 'joined';

/** Creates the group's members on the nodes of `record`, founding the group only if none holds it. */
export async function createMembers(
  node: CreationNode,
  record: GroupRecord,
  deadline: number,
): Promise<Creation> {
  for (const member of record.members) checkInCluster(node, member);
  for (;;) {
    const prepared = await prepareAll(node, record, deadline);
    const held = [...prepared.values()].some((answer) => answer.holds);
    const founding = held ? foundingOf(prepared) : newFounding(record, prepared);
    if (held && founding !== null && !canEverElect(record, founding, prepared)) {
      await discardMembers(node, record, prepared, deadline);
      continue;
    }
    const outcomes = await Promise.all(
      [...prepared].map(([member, answer]) => {
        // A founder is one the founding names: one whose creation never reached it is made so
        // now; any other member not held yet starts empty and waits for the leader's snapshot.
        const founder = founding?.members.includes(answer.member) ? founding : null;
        const call = {
          op: 'createMember' as const,
          record,
          founders: founder?.members ?? null,
          member: answer.member,
          version: founder?.version ?? 0,
        };
        return node.router.callOn(member, call, deadline);
      }),
    );
    // An identity offered was withdrawn (its node restarted), or a node went down before it
    // answered: ask everyone again (what was created stays, and is found held).
    if (outcomes.some((outcome) => outcome.kind === 'dropped' || unanswered(node, outcome, deadline))) {
      await pause(node, record.name, deadline);
      continue;
    }
    const nodes = [...prepared.keys()];
    for (const [position, outcome] of outcomes.entries())
      throwIfFailed(outcome, `create ${record.name} on ${nodes[position]}`);
    if (!held) {
      // Leaders spread over the members by name; the others would only wait out a timeout.
      node.campaign(record.name, record.members[groupHash(record.name) % record.members.length]!);
    }
    return held ? 'joined' : 'founded';
  }
}

/** A new group's founding: the identities the nodes offered, at the version all their code supports. */
function newFounding(record: GroupRecord, prepared: ReadonlyMap<string, Prepared>): Founding {
  return {
    members: record.members.map((member) => prepared.get(member)!.member),
    version: Math.min(...[...prepared.values()].map((answer) => answer.version)),
  };
}

/**
 * The founding of a group some node holds, as a founder there recorded it. A node whose offered
 * identity it names was never created (an identity offered is withdrawn when its node restarts,
 * and is not offered again once created), so it can still join as the founder it was meant to
 * be: without that, a group whose other founders' creation was lost could never elect.
 */
function foundingOf(prepared: ReadonlyMap<string, Prepared>): Founding | null {
  for (const answer of prepared.values()) if (answer.founding !== undefined) return answer.founding;
  return null;
}

/**
 * Whether the group may still elect a leader. Not if every member that exists is at term 0
 * (none ever voted or heard from a leader) and fewer than a majority of the founders may vote:
 * founders created with their founding data (a node's member is one the founding names and
 * holds data), founders that can still be created (a node offers an identity it names), and
 * nodes that have not answered. Identities offered and lost to a restart are gone for good, and
 * so is a founder whose founding data a crash lost after its identity was written: the members
 * in their place are empty, waiting for a leader's snapshot, and cannot vote. Such a group never
 * had a leader, never committed an entry, and never will.
 */
function canEverElect(
  record: GroupRecord,
  founding: Founding,
  prepared: ReadonlyMap<string, Prepared>,
): boolean {
  if ([...prepared.values()].some((answer) => answer.holds && answer.term !== 0)) return true;
  const possible = record.members.filter((member) => {
    const answer = prepared.get(member);
    if (answer === undefined) return true;
    return founding.members.includes(answer.member) && !(answer.holds && answer.empty === true);
  });
  return possible.length > founding.members.length / 2;
}

/** Deletes the members of a group that never had a leader, so that it is founded afresh. */
async function discardMembers(
  node: CreationNode,
  record: GroupRecord,
  prepared: ReadonlyMap<string, Prepared>,
  deadline: number,
): Promise<void> {
  const holders = [...prepared].filter(([, answer]) => answer.holds).map(([member]) => member);
  const outcomes = await Promise.all(
    holders.map((member) => node.router.callOn(member, { op: 'deleteMember', group: record.name }, deadline)),
  );
  for (const [position, outcome] of outcomes.entries()) {
    if (outcome.kind === 'error' && outcome.code === 'NO_SUCH_GROUP') continue;
    throwIfFailed(outcome, `discard the unfounded ${record.name} on ${holders[position]}`);
  }
}

/** Creates (or finds) `target`'s member of an existing group; resolves with its identity. */
export async function createJoiner(
  node: CreationNode,
  record: GroupRecord,
  target: string,
  deadline: number,
): Promise<string> {
  checkInCluster(node, target);
  for (;;) {
    const prepared = await node.router.callOn(target, { op: 'prepareMember', record }, deadline);
    if (unanswered(node, prepared, deadline)) {
      await pause(node, record.name, deadline, target);
      continue;
    }
    throwIfFailed(prepared, `add ${target} to ${record.name}`);
    const { member } = (prepared as { value: Prepared }).value;
    const created = await node.router.callOn(
      target,
      { op: 'createMember', record, founders: null, member, version: 0 },
      deadline,
    );
    // Making the member twice makes it once: a call whose answer was lost is made again.
    if (created.kind === 'dropped' || unanswered(node, created, deadline)) {
      await pause(node, record.name, deadline, target);
      continue;
    }
    throwIfFailed(created, `add ${target} to ${record.name}`);
    return member;
  }
}

/**
 * Every member node's answer, waiting (to the deadline) for nodes not reachable yet, as in a
 * cluster starting up. One answer that the group is held settles that it exists: the nodes not
 * reachable then are left to a later call.
 */
async function prepareAll(
  node: CreationNode,
  record: GroupRecord,
  deadline: number,
): Promise<Map<string, Prepared>> {
  const answers = new Map<string, Prepared>();
  for (;;) {
    const asked = record.members.filter((member) => !answers.has(member));
    const outcomes = await Promise.all(
      asked.map((member) => node.router.callOn(member, { op: 'prepareMember', record }, deadline)),
    );
    outcomes.forEach((outcome, position) => {
      const member = asked[position]!;
      if (outcome.kind === 'ok') answers.set(member, outcome.value as Prepared);
      else if (!unanswered(node, outcome, deadline))
        throwIfFailed(outcome, `create ${record.name} on ${member}`);
    });
    if (answers.size === record.members.length) return answers;
    if ([...answers.values()].some((answer) => answer.holds)) return answers;
    const missing = record.members.filter((member) => !answers.has(member));
    await pause(node, record.name, deadline, missing.join(', '));
  }
}

/**
 * A call its node did not answer: not connected, or gone down before answering. Asking whether
 * a node holds a group, and creating a member it has already, change nothing the second time,
 * so such a call is made again until the deadline.
 */
function unanswered(node: CreationNode, outcome: Outcome, deadline: number): boolean {
  if (outcome.kind === 'notLeader') return outcome.leader === null;
  return outcome.kind === 'error' && outcome.code === 'TIMEOUT' && node.clock.now() < deadline;
}

function checkInCluster(node: CreationNode, member: string): void {
  if (member === node.name || node.transport.knows(member)) return;
  const known = [node.name, ...node.transport.peers()].sort().join(', ');
  throw badArgument(`node ${member} is not in this cluster (it has ${known})`);
}

/** Waits a moment before asking again, or gives up with TIMEOUT at the deadline. */
async function pause(
  node: CreationNode,
  group: string,
  deadline: number,
  unreachable?: string,
): Promise<void> {
  await backOff(node.clock, deadline, () =>
    unreachable === undefined
      ? `create ${group}: the members kept changing`
      : `create ${group}: node ${unreachable} is not reachable, and no reachable member holds the group`,
  );
}
