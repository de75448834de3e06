// The fault schedule of a seed's fault phase: crashes and restarts, symmetric and one-way
// partitions, membership changes (remove a member, later add a fresh one) and leadership
// transfers, each at the rate the seed's swarm drew.
import type { NodeId } from '../raft/index.js';
import type { GroupState, World } from './world.js';

/** A removed member is re-added only after every message of its old incarnation has been delivered. */
const rejoinDelay = 1000;
/** A fresh member whose addition was never accepted is given up after this long. */
const joinPatience = 3000;

export function scheduleNemesis(world: World, until: number): void {
  const swarm = world.swarm;
  const total = swarm.crashRate + swarm.partitionRate + swarm.membershipRate + swarm.transferRate;
  if (total === 0) return;
  const tick = () => {
    if (world.now >= until) return;
    const roll = world.prng.next() * total;
    if (roll < swarm.crashRate) crashSomeNode(world);
    else if (roll < swarm.crashRate + swarm.partitionRate) partitionSomehow(world);
    else if (roll < swarm.crashRate + swarm.partitionRate + swarm.membershipRate) changeSomeMembership(world);
    else transferSomeLeadership(world);
    world.later(Math.min(1000 / total, 2000) * (0.5 + world.prng.next()), tick);
  };
  world.later(world.prng.int(500), tick);
}

function crashSomeNode(world: World): void {
  const node = world.prng.pick(world.nodeIds);
  world.crash(node);
  world.later(world.prng.between(50, 3000), () => world.restart(node));
}

function partitionSomehow(world: World): void {
  const network = world.network;
  const shuffled = [...world.nodeIds].sort(() => world.prng.next() - 0.5);
  const cut = world.prng.between(1, shuffled.length - 1);
  if (world.prng.chance(world.swarm.oneWayShare)) {
    network.cutOneWay(shuffled[0]!, shuffled.slice(1, cut + 1));
  } else {
    network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
  }
  world.trace.add(`p${cut}`);
  world.later(world.prng.between(100, 4000), () => network.heal());
}

function changeSomeMembership(world: World): void {
  const group = world.prng.pick([...world.groups.values()]);
  reconcile(world, group);
  const leader = world.leaderOf(group.id);
  if (leader === null || leader.member.log.configIndex > leader.member.commit) return;
  const config = leader.member.log.config;
  if (group.removed !== null && group.joining === null && world.now - group.removedAt >= rejoinDelay) {
    const candidates = world.nodeIds.filter((node) => !group.hosts.has(node));
    const target = world.prng.pick(candidates);
    const node = world.nodes.get(target)!;
    if (!node.up) return;
    group.hosts.add(target);
    group.joining = target;
    group.joiningSince = world.now;
    node.startMember(group.id);
    leader.node.changeMembers(group.id, { kind: 'add', node: target, voter: true }, (reply) => {
      if (reply.kind === 'ok') world.coverage.membershipChanges += 1;
    });
    return;
  }
  if (group.removed === null && group.joining === null && config.voters.length >= 3) {
    const target = world.prng.pick(config.voters);
    leader.node.changeMembers(group.id, { kind: 'remove', node: target }, (reply) => {
      if (reply.kind === 'ok') world.coverage.membershipChanges += 1;
    });
  }
}

/** Deletes the data of members a committed configuration left out, as deleting a member would. */
export function reconcile(world: World, group: GroupState): void {
  const leader = world.leaderOf(group.id);
  if (leader === null || leader.member.log.configIndex > leader.member.commit) return;
  const config = leader.member.log.config;
  const inConfig = (node: NodeId) => config.voters.includes(node) || config.nonVoters.includes(node);
  if (group.joining !== null && inConfig(group.joining)) {
    group.joining = null;
    group.removed = null;
  }
  for (const node of [...group.hosts]) {
    if (inConfig(node)) continue;
    if (node === group.joining && world.now - group.joiningSince < joinPatience) continue;
    if (node === group.joining) group.joining = null;
    world.nodes.get(node)!.deleteMember(group.id);
    group.checker.forget(node);
    group.hosts.delete(node);
    group.removed = node;
    group.removedAt = world.now;
  }
}

function transferSomeLeadership(world: World): void {
  const group = world.prng.pick([...world.groups.values()]);
  const leader = world.leaderOf(group.id);
  if (leader === null) return;
  const others = leader.member.log.config.voters.filter((node) => node !== leader.node.id);
  if (others.length > 0) leader.node.transfer(group.id, world.prng.pick(others));
}
