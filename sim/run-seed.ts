// One seed from start to verdict: a fault phase, a liveness phase on a healed, connected
// cluster, then a linearizability check of every group's client history.
import { type Coverage, emptyCoverage } from './coverage.js';
import { checkLinearizable } from './linearizability/index.js';
import { reconcile, scheduleNemesis } from './nemesis.js';
import { Prng } from './prng.js';
import { drawSwarm, type SwarmParameters } from './swarm.js';
import { World } from './world.js';

export interface SeedConfig {
  readonly seed: number;
  readonly nodes: number;
  readonly groups: number;
  readonly quiesce?: boolean;
}

export interface SeedResult {
  readonly seed: number;
  readonly passed: boolean;
  readonly failure: string | null;
  readonly traceHash: string;
  readonly coverage: Coverage;
  readonly operations: number;
  readonly swarm: SwarmParameters;
}

/** Once the faults heal, every group must elect a leader and complete new work within this long. */
export const livenessBound = 20_000;
/** A seed that needs more events than this has run away (a livelock or a message storm). */
const maxEvents = 5_000_000;

export function runSeed(config: SeedConfig): SeedResult {
  const prng = new Prng(config.seed);
  const swarm = drawSwarm(prng);
  let world: World | null = null;
  let failure: string | null = null;
  try {
    world = new World(config.seed, config.nodes, config.groups, swarm, prng, config.quiesce ?? false);
    failure = runPhases(world);
  } catch (error) {
    failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  let operations = 0;
  if (world !== null)
    for (const group of world.groups.values())
      for (const client of group.clients) operations += client.history.length;
  return {
    seed: config.seed,
    passed: failure === null,
    failure,
    traceHash: world?.trace.digest() ?? '',
    coverage: world?.coverage ?? emptyCoverage(),
    operations,
    swarm,
  };
}

function runPhases(world: World): string | null {
  const faultEnd = world.swarm.faultDuration;
  scheduleNemesis(world, faultEnd);
  world.runUntil(faultEnd, maxEvents);
  heal(world);
  const deadline = faultEnd + livenessBound;
  while (!allLive(world)) {
    if (world.now >= deadline) {
      const stuck = stuckGroups(world);
      return `liveness: ${stuck.join(', ')} made no progress within ${livenessBound} ms after healing; ${describe(world, stuck)}`;
    }
    world.runUntil(world.now + 250, maxEvents);
    for (const group of world.groups.values()) reconcile(world, group);
  }
  for (const group of world.groups.values()) for (const client of group.clients) client.stop();
  for (const group of world.groups.values()) {
    const history = group.clients.flatMap((client) => client.history);
    const verdict = checkLinearizable(history);
    if (!verdict.linearizable) {
      return verdict.gaveUp
        ? `linearizability checker gave up on ${group.id} key ${verdict.key}: ${verdict.reason}`
        : `${group.id} history not linearizable on key ${verdict.key}: ${verdict.reason}`;
    }
  }
  return null;
}

function heal(world: World): void {
  world.network.heal();
  world.network.loss = 0;
  world.network.duplicate = 0;
  for (const node of world.nodeIds) world.restart(node);
  for (const group of world.groups.values())
    for (const client of group.clients) client.expectProgressAfter(world.now);
}

function allLive(world: World): boolean {
  return stuckGroups(world).length === 0;
}

/** Groups without a leader that has committed in its term, or without a client operation completed since healing. */
function stuckGroups(world: World): string[] {
  const stuck: string[] = [];
  for (const group of world.groups.values()) {
    const leader = world.leaderOf(group.id);
    const committed = leader !== null && leader.member.commit >= leader.member.termStartIndex;
    if (!committed || !group.clients.every((client) => client.madeProgress)) stuck.push(group.id);
  }
  return stuck;
}

/** Each member of the stuck groups, for the failure report. */
function describe(world: World, groups: readonly string[]): string {
  const parts: string[] = [];
  for (const group of groups) {
    for (const node of world.nodes.values()) {
      const member = node.member(group);
      if (member === undefined) continue;
      const config = member.log.config;
      parts.push(
        `${group}@${node.id} ${member.role} t${member.term} commit ${member.commit} last ${member.log.lastIndex}` +
          ` voters [${config.voters}] nonVoters [${config.nonVoters}]${member.stalled ? ' stalled' : ''}${member.removed ? ' removed' : ''}`,
      );
    }
  }
  return parts.join('; ');
}
