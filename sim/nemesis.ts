// The fault schedule of a seed's fault phase: crashes and restarts, symmetric and one-way
// partitions, membership changes (remove a member, later add a fresh one) and leadership
// transfers, each at the rate the seed's swarm drew.
import type { GroupState, World } from './world.js';

/** A removed member is re-added only after every message of its old incarnation has been delivered. */
const rejoinDelay = 1000;
/** A fresh member whose addition was never accepted is given up after this long. */
const joinPatience = 3000;

export function scheduleNemesis(world: World, until: number): void {
  const swarm = world.swarm;
  if (swarm.newLeaderIsolation > 0) {
    // Leaders cut off right after election leave divergent tails of several terms behind:
    // the ground Figure 8's old-term commit rule stands on.
    world.onNewLeader = (leader) => {
      if (world.now >= until || !world.prng.chance(swarm.newLeaderIsolation)) return;
      const others = world.nodeIds.filter((node) => node !== leader);
      world.later(world.prng.next() * 2, () => {
        if (world.now >= until) return;
        world.network.partition([leader], others);
        world.later(world.prng.between(100, 1500), () => world.network.heal());
      });
    };
  }
  const total =
    swarm.crashRate + swarm.pauseRate + swarm.partitionRate + swarm.membershipRate + swarm.transferRate;
  if (total === 0) return;
  const tick = () => {
    if (world.now >= until) return;
    const faults: [number, (world: World) => void][] = [
      [swarm.crashRate, crashSomeNode],
      [swarm.pauseRate, pauseSomeNode],
      [swarm.partitionRate, partitionSomehow],
      [swarm.membershipRate, changeSomeMembership],
      [swarm.transferRate, transferSomeLeadership],
    ];
    let roll = world.prng.next() * total;
    for (const [rate, fault] of faults) {
      roll -= rate;
      if (roll < 0) {
        fault(world);
        break;
      }
    }
    world.later(Math.min(1000 / total, 2000) * (0.5 + world.prng.next()), tick);
  };
  world.later(world.prng.int(500), tick);
}

function crashSomeNode(world: World): void {
  const node = world.prng.pick(world.nodeIds);
  world.crash(node);
  world.later(world.prng.between(50, 3000), () => world.restart(node));
}

/** Pauses a node, often a leader: it wakes believing it still leads, with requests waiting. */
function pauseSomeNode(world: World): void {
  const leader = world.leaderOf(world.prng.pick([...world.groups.keys()]));
  const node = leader !== null && world.prng.chance(0.7) ? leader.node.id : world.prng.pick(world.nodeIds);
  world.pause(node, world.prng.between(100, 2000));
}

function partitionSomehow(world: World): void {
  const network = world.network;
  const shuffled = [...world.nodeIds].sort(() => world.prng.next() - 0.5);
  // Half the time the cut falls around a current leader, where stale leaders and reads live.
  const leader = world.leaderOf(world.prng.pick([...world.groups.keys()]));
  if (leader !== null && world.prng.chance(0.5)) {
    shuffled.splice(shuffled.indexOf(leader.node.id), 1);
    shuffled.unshift(leader.node.id);
  }
  const cut = world.prng.between(1, shuffled.length - 1);
  if (world.prng.chance(world.swarm.oneWayShare)) {
    network.cutOneWay(shuffled[0]!, shuffled.slice(1, cut + 1));
  } else {
    network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
  }
  world.trace.add(`p${cut}`);
  world.later(world.prng.between(100, 4000), () => network.heal());
}

/** Asks the leader for a change whether or not another is still in flight: refusing is the core's job. */
function changeSomeMembership(world: World): void {
  const group = world.prng.pick([...world.groups.values()]);
  reconcile(world, group);
  const leader = world.leaderOf(group.id);
  if (leader === null) return;
  const config = leader.member.log.config;
  const rejoinable = world.nodeIds.filter(
    (node) => !group.hosts.has(node) && world.now - (group.removedAt.get(node) ?? 0) >= rejoinDelay,
  );
  if (rejoinable.length > 0 && (config.voters.length < 3 || world.prng.chance(0.3))) {
    const target = world.prng.pick(rejoinable);
    const node = world.nodes.get(target)!;
    if (!node.up) return;
    group.hosts.add(target);
    group.joining.set(target, world.now);
    node.startMember(group.id);
    leader.node.changeMembers(group.id, { kind: 'add', node: target, voter: true }, (reply) => {
      if (reply.kind === 'ok') world.coverage.membershipChanges += 1;
    });
    return;
  }
  if (config.voters.length >= 2) {
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
  for (const node of [...group.hosts]) {
    if (config.voters.includes(node) || config.nonVoters.includes(node)) {
      group.joining.delete(node);
      continue;
    }
    const joinedAt = group.joining.get(node);
    if (joinedAt !== undefined && world.now - joinedAt < joinPatience) continue;
    group.joining.delete(node);
    world.nodes.get(node)!.deleteMember(group.id);
    group.checker.forget(node);
    group.hosts.delete(node);
    group.removedAt.set(node, world.now);
  }
}

function transferSomeLeadership(world: World): void {
  const group = world.prng.pick([...world.groups.values()]);
  const leader = world.leaderOf(group.id);
  if (leader === null) return;
  const others = leader.member.log.config.voters.filter((node) => node !== leader.node.id);
  if (others.length > 0) leader.node.transfer(group.id, world.prng.pick(others));
}
