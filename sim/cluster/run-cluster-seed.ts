// One seed of the production-node simulation: three FlotillaNodes under SimCluster, two counter
// groups and a register group, and a workload drawn from the seed (commands from any node,
// a rolling upgrade of the counter's code (nodes restarted onto it one at a time), createGroup
// of a machine one node cannot load, members removed and added back, shards failing (as a worker thread dying would), machines that
// throw or return bad effects or unencodable replies, commands whose effects send
// to a mailbox, concurrent register writes and consistent reads, leadership transfers,
// members stopped and restarted, crashes, restarts, replaced disks with the groups declared
// again, process pauses (a paused register leader is probed for a stale read), leaders cut off
// as they are elected, and cuts between nodes, one way or both), then everything healed.
// Checked as the seed runs and at its end:
// - an acknowledged command counts once: no two acknowledgements of a group carry one total;
// - a command whose machine throws or returns what breaks its contract fails with MACHINE_ERROR
//   and changes nothing, and no command that succeeds fails so; an OVERLOADED one is not applied;
// - an effect runs at most once;
// - every member that applied the log to index i holds the same machine state at i;
// - a group whose machine a node cannot load is never created, on any node;
// - no member's code is older than its log, and once every node runs the new code, every
//   member of each counter group has moved to its version;
// - a consistent read sees every command acknowledged before it began, and no more than were sent;
// - after healing, every group has a leader, its total holds every acknowledged command and no
//   more than were sent, and every member holds that same total;
// - the register group's history is linearizable (sim/linearizability);
// - no exception escapes a node (it would end the run), and no member fails;
// - on every step of every member, the core's properties (core-checks.ts): election safety, log
//   matching, leader completeness, state machine safety, commit never beyond a durable quorum,
//   term and vote kept across restarts.
import { FlotillaError } from '../../actors/index.js';
import { loadMachine } from '../../actors/machine.js';
import type { GroupSpec } from '../../runtime/group-spec.js';
import type { FlotillaNode } from '../../runtime/node.js';
import { checkLinearizable, type Operation } from '../linearizability/index.js';
import { Prng } from '../prng.js';
import { type BadCommand, effectsMailbox } from './counter-machine.js';
import { SimCluster } from './sim-cluster.js';

export interface ClusterCoverage {
  acknowledged: number;
  machineErrors: number;
  /** Commands whose machine returned a bad effect or an unencodable reply, failed with MACHINE_ERROR. */
  badResults: number;
  /** Mailbox deliveries made by the effects of notify commands. */
  effectsRun: number;
  /** Nodes restarted onto the counter's next version, and groups that moved to it once all had. */
  upgrades: number;
  versionMoves: number;
  /** createGroup calls refused because one node cannot load the machine. */
  unloadableRefused: number;
  /** Shards failed, as a worker thread dying would. */
  shardFailures: number;
  /** Members removed by removeMember, and members added back by addMember. */
  removals: number;
  additions: number;
  /** removeMember refused (OVERLOADED) because the voters left would have no quorum that answers. */
  removalsRefused: number;
  /** Two membership changes of one group asked at once, from two nodes. */
  concurrentChanges: number;
  /** The cluster split the moment a leader appended a membership change, or commands. */
  changeSplits: number;
  appendSplits: number;
  /** Reads of a counter: consistent, at the leader (possibly a deposed one), local. */
  reads: number;
  leaderReads: number;
  localReads: number;
  crashes: number;
  restarts: number;
  wipes: number;
  cuts: number;
  timeouts: number;
  transfers: number;
  stops: number;
  leaderChanges: number;
  truncations: number;
  snapshotInstalls: number;
  quietLeaders: number;
  registerWrites: number;
  registerReads: number;
  pauses: number;
  isolations: number;
  staleReadProbes: number;
  /** Consistent reads sent to a register leader cut off from the others after a write elsewhere. */
  cutReadProbes: number;
  deletes: number;
  recreations: number;
  killsMidCall: number;
}

export const clusterCoverageNames: readonly (keyof ClusterCoverage)[] = [
  'acknowledged',
  'machineErrors',
  'badResults',
  'effectsRun',
  'upgrades',
  'versionMoves',
  'unloadableRefused',
  'shardFailures',
  'removals',
  'additions',
  'removalsRefused',
  'concurrentChanges',
  'changeSplits',
  'appendSplits',
  'reads',
  'leaderReads',
  'localReads',
  'crashes',
  'restarts',
  'wipes',
  'cuts',
  'timeouts',
  'transfers',
  'stops',
  'leaderChanges',
  'truncations',
  'snapshotInstalls',
  'quietLeaders',
  'registerWrites',
  'registerReads',
  'pauses',
  'isolations',
  'staleReadProbes',
  'cutReadProbes',
  'deletes',
  'recreations',
  'killsMidCall',
];

export interface ClusterSeedResult {
  readonly seed: number;
  readonly failure: string | null;
  readonly traceHash: string;
  readonly coverage: ClusterCoverage;
}

export interface ClusterSeedOptions {
  readonly seed: number;
  /** The counter machine's module URL. */
  readonly module: string;
  /** The counter's next version, which a rolling upgrade installs in place of `module` for some seeds. */
  readonly upgrade?: string;
  /** Workload steps before healing. */
  readonly steps?: number;
  /** Nodes in the cluster (three unless told): some scenarios (Raft's Figure 8) need five. */
  readonly nodes?: number;
}

interface GroupBook {
  readonly name: string;
  /** Commands sent that may apply (not 'boom'). */
  sent: number;
  /** Totals acknowledged. */
  readonly acknowledged: Set<number>;
  maxAcknowledged: number;
  /** A deleteGroup that did not succeed: members may be left, so commands wait until one does. */
  deleting: boolean;
  /** The nodes whose members removeMember was asked to take out (and may have), until added back. */
  readonly removed: string[];
}

interface Declaration {
  readonly name: string;
  readonly spec: GroupSpec;
}

/** The register group's client history, for the linearizability check. */
interface RegisterBook {
  readonly name: string;
  readonly history: Operation[];
  operations: number;
  /**
   * The history's clock: a count of invocations and completions, not simulated time. A read
   * invoked the instant a write's caller heard comes after the write, yet both carry the same
   * simulated time, and equal times would let the checker order the read first.
   */
  clock: number;
}

const registerModule = new URL('./register-machine.js', import.meta.url).href;
/** A module no node imports as such: each runs the counter for it, but one, for some seeds, broken code. */
const unloadableModule = new URL('./unloadable-counter.js', import.meta.url).href;
const notAMachine = new URL('./not-a-machine.js', import.meta.url).href;
const unloadableGroup = 'u1';
const registerKeys = ['x', 'y', 'z'];
const badCommands: readonly BadCommand[] = ['boom', 'badEffect', 'badReply'];

/** The `{ notify }` commands sent, and the mailbox deliveries their effects made. */
interface EffectsBook {
  sent: number;
  readonly delivered: Set<number>;
  /** A notify delivered twice, or one never sent: the first such, which fails the seed. */
  wrong: string | null;
}

/** Codes that say a command was not applied; any other failure may have been. */
const notApplied = new Set(['MACHINE_ERROR', 'OVERLOADED', 'BAD_ARGUMENT']);

class Violation extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Violation(message);
}

function codeOf(error: unknown): string {
  return error instanceof FlotillaError ? error.code : String(error);
}

export async function runClusterSeed(options: ClusterSeedOptions): Promise<ClusterSeedResult> {
  const coverage: ClusterCoverage = {
    acknowledged: 0,
    machineErrors: 0,
    badResults: 0,
    effectsRun: 0,
    upgrades: 0,
    versionMoves: 0,
    unloadableRefused: 0,
    shardFailures: 0,
    removals: 0,
    additions: 0,
    removalsRefused: 0,
    concurrentChanges: 0,
    changeSplits: 0,
    appendSplits: 0,
    reads: 0,
    leaderReads: 0,
    localReads: 0,
    crashes: 0,
    restarts: 0,
    wipes: 0,
    cuts: 0,
    timeouts: 0,
    transfers: 0,
    stops: 0,
    leaderChanges: 0,
    truncations: 0,
    snapshotInstalls: 0,
    quietLeaders: 0,
    registerWrites: 0,
    registerReads: 0,
    pauses: 0,
    isolations: 0,
    staleReadProbes: 0,
    cutReadProbes: 0,
    deletes: 0,
    recreations: 0,
    killsMidCall: 0,
  };
  await SimCluster.preload(
    options.upgrade === undefined ? [options.module] : [options.module, options.upgrade],
  );
  const workload = new Prng(options.seed ^ 0x5eed5eed);
  // Tiny batches and windows split the core's work and expose more interleavings.
  const electionTimeout = workload.pick([300, 1_000]);
  const core = {
    electionTimeout,
    heartbeatInterval: electionTimeout / 5,
    retransmitTimeout: electionTimeout * 0.4,
    maxEntriesPerMessage: workload.pick([1, 2, 16, 512]),
    maxInflightMessages: workload.pick([1, 4, 16, 64]),
    snapshotChunkBytes: workload.pick([16, 64, 4096, 256 * 1024]),
  };
  const names = ['a', 'b', 'c', 'd', 'e'].slice(0, options.nodes ?? 3);
  const cluster = new SimCluster({ seed: options.seed, core, names });
  const effects: EffectsBook = { sent: 0, delivered: new Set(), wrong: null };
  cluster.mailboxes.set(effectsMailbox, (node, message) => {
    const { notify } = message as { notify: number };
    if (effects.delivered.has(notify))
      effects.wrong ??= `the effect of notify ${notify} ran twice (on ${node})`;
    if (notify > effects.sent) effects.wrong ??= `an effect of notify ${notify}, never sent, ran on ${node}`;
    effects.delivered.add(notify);
    coverage.effectsRun += 1;
  });
  await SimCluster.preload([registerModule]);
  const machine = { module: options.module, config: { snapshotEvery: workload.pick([4, 16, 1000]) } };
  const spec = { machine, members: [...cluster.names] };
  const registers: RegisterBook = { name: 'r1', history: [], operations: 0, clock: 0 };
  const declarations: Declaration[] = [
    ...['g1', 'g2'].map((name) => ({ name, spec })),
    { name: registers.name, spec: { machine: { module: registerModule }, members: [...cluster.names] } },
  ];
  const books: GroupBook[] = ['g1', 'g2'].map((name) => ({
    name,
    sent: 0,
    acknowledged: new Set(),
    maxAcknowledged: 0,
    deleting: false,
    removed: [],
  }));
  let failure: string | null = null;
  // No exception may escape a node: one that does (a rejection nothing handles) fails the seed.
  const onEscaped = (reason: unknown) =>
    cluster.escaped.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  process.on('unhandledRejection', onEscaped);
  // For some seeds, one node's code for a module is broken (it exports no machine): no group of
  // that module may ever be created, on any node.
  const unloadable = workload.chance(0.4);
  if (unloadable) {
    await loadMachine(notAMachine).catch(() => undefined);
    const broken = workload.pick(cluster.names);
    for (const name of cluster.names)
      cluster.install(name, unloadableModule, name === broken ? notAMachine : options.module);
  }
  try {
    for (const name of cluster.names) await cluster.start(name);
    for (const { name, spec } of declarations) {
      const created = await cluster.call(() =>
        cluster.node(workload.pick(cluster.names)).createGroup(name, spec),
      );
      check(created.ok, `createGroup ${name}: ${!created.ok && String(created.error)}`);
    }
    isolateNewLeaders(cluster, workload, coverage);
    splitOnAppends(cluster, workload, coverage);
    // For some seeds, a rolling upgrade of the counter's code, one node at a time, as the run goes.
    const upgrading = options.upgrade !== undefined && workload.chance(0.35) ? [...cluster.names] : [];
    const steps = options.steps ?? 40;
    const shardFailures = new Map<string, number>();
    for (let step = 0; step < steps; step += 1) {
      if (upgrading.length > 0 && workload.chance(0.12))
        await upgradeNode(cluster, upgrading.shift()!, options.module, options.upgrade!, coverage);
      else if (unloadable && workload.chance(0.05)) await createUnloadable(cluster, workload, coverage);
      else if (workload.chance(0.04)) failShard(cluster, workload, shardFailures);
      else if (workload.chance(0.05)) await changeMembers(cluster, workload, workload.pick(books), coverage);
      else await act(cluster, workload, books, registers, declarations, coverage, effects);
      checkCore(cluster, effects);
    }
    // Heal: every link back, every node running (a rolling upgrade finished), and time for the
    // groups to settle.
    cluster.checks.onLeader = null;
    cluster.checks.onAppend = null;
    cluster.network.heal();
    for (const name of upgrading.splice(0))
      await upgradeNode(cluster, name, options.module, options.upgrade!, coverage);
    for (const name of cluster.names) if (!cluster.running(name)) await cluster.start(name);
    for (const book of books) if (book.deleting) await finishDelete(cluster, book, coverage);
    // What an application does when its nodes come back: declare every group again, on each,
    // and start any member it had stopped.
    for (const name of cluster.names)
      for (const group of declarations) {
        await cluster.call(async () =>
          (await on(cluster, name)).createGroup(group.name, group.spec, { timeoutMs: 10_000 }),
        );
        const status = await cluster.call(() => cluster.node(name).status(group.name));
        if (status.ok && (status.value.role === 'stopped' || status.value.role === 'failed'))
          await cluster.call(() => cluster.node(name).restartGroup(group.name));
      }
    // And add back what it removed, once every member it had stopped runs again.
    for (const book of books)
      while (book.removed.length > 0)
        if (!(await addBack(cluster, book, book.removed[0]!, cluster.names, coverage, 10))) break;
    await cluster.run(10_000);
    for (const book of books) await checkSettled(cluster, book);
    for (const name of cluster.names)
      check(!cluster.node(name).groups().includes(unloadableGroup), `${unloadableGroup} exists on ${name}`);
    const upgraded = coverage.upgrades > 0;
    for (const book of books) await checkVersion(cluster, book, upgraded, coverage);
    await registerOperations(cluster, workload, registers, cluster.names, coverage);
    checkRegisters(registers);
    checkCore(cluster, effects);
  } catch (error) {
    failure =
      error instanceof Violation
        ? error.message
        : `exception: ${error instanceof Error ? error.stack : String(error)}`;
  }
  process.off('unhandledRejection', onEscaped);
  coverage.crashes = cluster.counts.crashes;
  coverage.wipes = cluster.counts.wipes;
  coverage.pauses = cluster.counts.pauses;
  coverage.shardFailures = cluster.counts.shardFailures;
  coverage.restarts = cluster.counts.starts - cluster.names.length;
  Object.assign(coverage, cluster.checks.coverage);
  return { seed: options.seed, failure, traceHash: cluster.trace.digest(), coverage };
}

/**
 * For some seeds, a leader is cut off the moment it is elected, now and then: its first entries
 * of the term stay behind uncommitted, and tails of several terms diverge, the ground the rule
 * of committing only entries of the leader's own term stands on (Raft's Figure 8).
 */
function isolateNewLeaders(cluster: SimCluster, workload: Prng, coverage: ClusterCoverage): void {
  const chance = workload.chance(0.5) ? 0 : workload.next() * 0.5;
  if (chance === 0) return;
  cluster.checks.onLeader = (leader) => {
    if (!workload.chance(chance)) return;
    const restore = cluster.network.separate(
      [leader],
      cluster.names.filter((name) => name !== leader),
    );
    coverage.isolations += 1;
    cluster.time.at(cluster.time.now + workload.between(100, 1_500), restore);
  };
}

/**
 * For some seeds, a leader that appends entries is cut off at once, alone or with up to half of
 * the others, from the rest for a while: what it appended reaches only its side. Membership changes
 * are split so often (were a second change taken before the first commits, each side's
 * configuration could hold a quorum); commands now and then, which leaves tails of several
 * terms behind (Raft's Figure 8).
 */
function splitOnAppends(cluster: SimCluster, workload: Prng, coverage: ClusterCoverage): void {
  const onChange = workload.chance(0.5) ? 0.2 + workload.next() * 0.6 : 0;
  const onCommands = workload.chance(0.3) ? 0.02 + workload.next() * 0.08 : 0;
  if (onChange === 0 && onCommands === 0) return;
  cluster.checks.onAppend = (leader, _group, change) => {
    if (!workload.chance(change ? onChange : onCommands)) return;
    const others = cluster.names.filter((name) => name !== leader);
    const companions = workload.between(0, Math.floor(others.length / 2));
    const side = [leader];
    for (let taken = 0; taken < companions; taken += 1)
      side.push(workload.pick(others.filter((name) => !side.includes(name))));
    const restore = cluster.network.separate(
      side,
      cluster.names.filter((name) => !side.includes(name)),
    );
    if (change) coverage.changeSplits += 1;
    else coverage.appendSplits += 1;
    cluster.time.at(cluster.time.now + workload.between(300, 3_000), restore);
  };
}

/** Node `name` once it is awake: a request to a paused process is handled when it wakes. */
async function on(cluster: SimCluster, name: string) {
  await cluster.awake(name);
  return cluster.node(name);
}

/** The core's properties held on every step so far, no member failed, and no effect ran twice. */
function checkCore(cluster: SimCluster, effects: EffectsBook): void {
  if (effects.wrong !== null) throw new Violation(effects.wrong);
  if (cluster.checks.violation !== null) throw new Violation(cluster.checks.violation);
  const failed = cluster.memberFailures[0];
  if (failed !== undefined) throw new Violation(`a member failed: ${failed}`);
  const escaped = cluster.escaped[0];
  if (escaped !== undefined) throw new Violation(`an exception escaped a node: ${escaped}`);
}

async function act(
  cluster: SimCluster,
  workload: Prng,
  books: readonly GroupBook[],
  registers: RegisterBook,
  declarations: readonly Declaration[],
  coverage: ClusterCoverage,
  effects: EffectsBook,
): Promise<void> {
  const running = cluster.names.filter((name) => cluster.running(name));
  const down = cluster.names.filter((name) => !cluster.running(name));
  const roll = workload.next();
  const book = workload.pick(books);
  if (roll < 0.38 && running.length > 0) {
    if (!book.deleting) await commands(cluster, workload, book, running, coverage, effects);
  } else if (roll < 0.4 && running.length > 0) {
    await deleteAndCreate(cluster, workload, book, declarations, running, coverage);
  } else if (roll < 0.55 && running.length > 0) {
    await registerOperations(cluster, workload, registers, running, coverage);
  } else if (roll < 0.62 && running.length > 0) {
    if (!book.deleting) await read(cluster, workload, book, workload.pick(running), coverage);
  } else if (roll < 0.65 && running.length > 0) {
    const book = workload.pick(books);
    const from = workload.pick(running);
    const moved = await cluster.call(async () =>
      (await on(cluster, from)).transferLeadership(book.name, workload.pick(cluster.names), {
        timeoutMs: 3_000,
      }),
    );
    if (moved.ok) coverage.transfers += 1;
  } else if (roll < 0.68 && running.length > 0) {
    // A member stopped by its operator, or started again if it was.
    const [name, book] = [workload.pick(running), workload.pick(books)];
    const status = await cluster.call(async () => (await on(cluster, name)).status(book.name));
    if (status.ok && status.value.role === 'stopped')
      await cluster.call(async () => (await on(cluster, name)).restartGroup(book.name));
    else if (status.ok && (await cluster.call(async () => (await on(cluster, name)).stopGroup(book.name))).ok)
      coverage.stops += 1;
  } else if (roll < 0.76 && running.length > 0) {
    cluster.crash(workload.pick(running));
  } else if (roll < 0.85 && down.length > 0) {
    await cluster.start(workload.pick(down));
  } else if (roll < 0.9 && down.length > 0 && cluster.counts.wipes === 0) {
    // A replaced disk: the node comes back empty and the application declares its groups again.
    // Once a seed, and only while every other node's disk holds a voter of every group, with
    // data: losing the data of a majority of a group's voters loses what only they held (README:
    // a wiped or replaced disk), and a member whose creation was never durable has none.
    const name = workload.pick(down);
    const others = cluster.names.filter((other) => other !== name);
    const names = declarations.map((declaration) => declaration.name);
    if (!others.every((other) => names.every((group) => cluster.disk(other).holdsVoter(group)))) return;
    // Nor while a member removed is not yet back: a removed node's disk may still name it a voter,
    // and the group, one voter short, may have no majority of data left to lose.
    if (books.some((book) => book.removed.length > 0)) return;
    cluster.wipe(name);
    await cluster.start(name);
    // Not a group being deleted: the application deletes it before it declares it again.
    const deleting = new Set(books.filter((book) => book.deleting).map((book) => book.name));
    for (const group of declarations)
      if (!deleting.has(group.name))
        await cluster.call(() =>
          cluster.node(name).createGroup(group.name, group.spec, { timeoutMs: 3_000 }),
        );
  } else if (roll < 0.93 && running.length > 0) {
    // A long pause, as often as not of a leader: it wakes believing it still leads, with requests waiting.
    const leader = cluster.checks.leaders.get(workload.pick(declarations).name)?.node;
    const name =
      leader !== undefined && cluster.running(leader) && workload.chance(0.7)
        ? leader
        : workload.pick(running);
    const probed = cluster.checks.leaders.get(registers.name)?.node;
    if (probed !== undefined && cluster.running(probed) && workload.chance(0.4)) {
      // The register group's leader paused, or cut off from every other node, while it is
      // written through another: then read where it still believes it leads.
      const cut = !workload.chance(0.5);
      if (!cut) cluster.pause(probed, workload.between(1_500, 3_000));
      await staleReadProbe(cluster, workload, registers, probed, cut, coverage);
    } else cluster.pause(name, workload.between(100, 3_000));
  } else if (roll < 0.97) {
    const [from, to] = [workload.pick(cluster.names), workload.pick(cluster.names)];
    if (from !== to) {
      cluster.network.cut(from, to);
      if (workload.chance(0.6)) cluster.network.cut(to, from);
      coverage.cuts += 1;
    }
  } else {
    cluster.network.heal();
  }
}

/**
 * The group deleted from a running node and created again under its name, as a broker deletes a
 * queue and a client declares it anew: another group, which starts from nothing. A delete that
 * fails (a member's node is down or cut off) leaves the group being deleted, tried again later.
 */
async function deleteAndCreate(
  cluster: SimCluster,
  workload: Prng,
  book: GroupBook,
  declarations: readonly Declaration[],
  running: readonly string[],
  coverage: ClusterCoverage,
): Promise<void> {
  // Now and then a node is killed the moment its member is gone, its log's delete perhaps not
  // yet durable, and started again; and one the moment its new member exists. Neither may
  // bring the old group's data back under the name.
  const deleted = await killAtOnce(
    cluster,
    workload,
    running,
    on(cluster, workload.pick(running)).then((node) => node.deleteGroup(book.name, { timeoutMs: 5_000 })),
    (node) => !node.groups().includes(book.name),
    coverage,
  );
  if (!deleted.ok && codeOf(deleted.error) !== 'NO_SUCH_GROUP') {
    book.deleting = true;
    return;
  }
  deletedEverywhere(cluster, book, coverage);
  const { spec } = declarations.find((declaration) => declaration.name === book.name)!;
  const up = running.filter((name) => cluster.running(name));
  if (up.length === 0) return;
  const created = await killAtOnce(
    cluster,
    workload,
    up,
    on(cluster, workload.pick(up)).then((node) => node.createGroup(book.name, spec, { timeoutMs: 5_000 })),
    (node) => node.groups().includes(book.name),
    coverage,
  );
  if (created.ok) coverage.recreations += 1;
}

/**
 * Runs `call`; for some seeds, one of `running` is killed the moment `reached` holds of it, while
 * the call is still under way, and started again. The call's outcome.
 */
async function killAtOnce<T>(
  cluster: SimCluster,
  workload: Prng,
  running: readonly string[],
  call: Promise<T>,
  reached: (node: FlotillaNode) => boolean,
  coverage: ClusterCoverage,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  const victim = workload.chance(0.3) ? workload.pick(running) : null;
  if (victim !== null) {
    let settled = false;
    const done = () => {
      settled = true;
    };
    call.then(done, done);
    const hit = () => cluster.running(victim) && reached(cluster.node(victim));
    await cluster.time.runUntil(() => settled || hit(), cluster.time.now + 10_000);
    if (!settled && hit()) {
      cluster.crash(victim);
      coverage.killsMidCall += 1;
      await cluster.start(victim);
    }
  }
  return cluster.call(() => call);
}

/** After healing: a group left being deleted is deleted, within a bounded number of tries. */
async function finishDelete(cluster: SimCluster, book: GroupBook, coverage: ClusterCoverage): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const from = cluster.names[attempt % cluster.names.length]!;
    const deleted = await cluster.call(() => cluster.node(from).deleteGroup(book.name, { timeoutMs: 5_000 }));
    // A delete that timed out may have done its work: the group is gone, which is what was asked.
    if (deleted.ok || codeOf(deleted.error) === 'NO_SUCH_GROUP') {
      deletedEverywhere(cluster, book, coverage);
      return;
    }
    await cluster.run(1_000);
  }
  check(
    false,
    `${book.name}: deleteGroup never succeeded after healing; ${await statuses(cluster, book.name)}`,
  );
}

/**
 * deleteGroup succeeded: no running node holds the group (every member answered), and what was
 * sent to it is forgotten, as is the checkers' view of its members.
 */
function deletedEverywhere(cluster: SimCluster, book: GroupBook, coverage: ClusterCoverage): void {
  for (const name of cluster.names)
    if (cluster.running(name))
      check(!cluster.node(name).groups().includes(book.name), `${book.name}: deleted, but ${name} holds it`);
  cluster.checks.forget(book.name);
  book.sent = 0;
  book.acknowledged.clear();
  book.maxAcknowledged = 0;
  book.deleting = false;
  book.removed.length = 0;
  coverage.deletes += 1;
}

/**
 * A burst of commands at once from running nodes: now and then one that breaks the machine's
 * contract (it must fail with MACHINE_ERROR and change nothing), or one whose effect sends to a
 * mailbox (it must arrive at most once).
 */
async function commands(
  cluster: SimCluster,
  workload: Prng,
  book: GroupBook,
  running: readonly string[],
  coverage: ClusterCoverage,
  effects: EffectsBook,
): Promise<void> {
  const burst = Array.from({ length: workload.between(1, 5) }, () => {
    const from = workload.pick(running);
    const roll = workload.next();
    if (roll < 0.1) return { from, bad: workload.pick(badCommands), command: null };
    if (roll >= 0.2) return { from, bad: null, command: 1 };
    effects.sent += 1;
    return { from, bad: null, command: { notify: effects.sent, node: workload.pick(cluster.names) } };
  });
  const outcome = await cluster.call(() =>
    Promise.allSettled(
      burst.map(({ from, bad, command }) => {
        if (bad === null) book.sent += 1;
        return cluster
          .awake(from)
          .then(() => cluster.node(from).command<number>(book.name, bad ?? command, { timeoutMs: 5_000 }));
      }),
    ),
  );
  check(outcome.ok, `a burst of commands never settled: ${!outcome.ok && String(outcome.error)}`);
  if (!outcome.ok) return;
  for (const [position, settled] of outcome.value.entries()) {
    const { bad } = burst[position]!;
    if (settled.status === 'fulfilled') {
      check(bad === null, `${book.name}: a '${bad}' command succeeded with ${settled.value}`);
      const total = settled.value;
      check(!book.acknowledged.has(total), `${book.name}: two commands acknowledged with total ${total}`);
      check(
        total <= book.sent,
        `${book.name}: acknowledged total ${total} beyond the ${book.sent} commands sent`,
      );
      book.acknowledged.add(total);
      book.maxAcknowledged = Math.max(book.maxAcknowledged, total);
      coverage.acknowledged += 1;
    } else {
      const code = codeOf(settled.reason);
      if (bad === 'boom' && code === 'MACHINE_ERROR') coverage.machineErrors += 1;
      if (bad !== null && bad !== 'boom' && code === 'MACHINE_ERROR') coverage.badResults += 1;
      check(
        bad !== null || code !== 'MACHINE_ERROR',
        `${book.name}: a command that cannot fail its machine failed with MACHINE_ERROR`,
      );
      // A command refused as overloaded was never applied: the totals must not count it.
      if (bad === null && code === 'OVERLOADED') book.sent -= 1;
      if (code === 'TIMEOUT') coverage.timeouts += 1;
    }
  }
}

/**
 * Concurrent writes and consistent reads of the registers from running nodes, each recorded
 * with when it began and when its caller heard, for the linearizability check.
 */
async function registerOperations(
  cluster: SimCluster,
  workload: Prng,
  book: RegisterBook,
  running: readonly string[],
  coverage: ClusterCoverage,
): Promise<void> {
  const planned = Array.from({ length: workload.between(1, 5) }, () => ({
    from: workload.pick(running),
    key: workload.pick(registerKeys),
    put: workload.chance(0.6),
  }));
  await runRegisterOperations(cluster, book, planned, coverage);
}

/**
 * The register group's leader was just paused, or is now cut off from every other node: a write
 * through another node (acknowledged once the others have elected a new leader), then a
 * consistent read sent to the old leader. Waking, or until its check-quorum steps it down, it
 * still believes it leads; were it to answer from what it holds without a heartbeat quorum, the
 * read would miss the write.
 */
async function staleReadProbe(
  cluster: SimCluster,
  workload: Prng,
  book: RegisterBook,
  leader: string,
  cut: boolean,
  coverage: ClusterCoverage,
): Promise<void> {
  const others = cluster.names.filter((name) => name !== leader && cluster.running(name));
  if (others.length === 0) return;
  const restore = cut ? cluster.network.separate([leader], others) : null;
  const key = workload.pick(registerKeys);
  await runRegisterOperations(cluster, book, [{ from: workload.pick(others), key, put: true }], coverage);
  if (cut) coverage.cutReadProbes += 1;
  else if (cluster.paused(leader)) coverage.staleReadProbes += 1;
  await runRegisterOperations(cluster, book, [{ from: leader, key, put: false }], coverage);
  restore?.();
}

/** Runs register operations at once, each from its node, and records them in the history. */
async function runRegisterOperations(
  cluster: SimCluster,
  book: RegisterBook,
  planned: readonly { readonly from: string; readonly key: string; readonly put: boolean }[],
  coverage: ClusterCoverage,
): Promise<void> {
  const operations = planned.map(({ from, key, put }) => {
    book.operations += 1;
    return { id: book.operations, from, key, value: put ? `v${book.operations}` : null };
  });
  const invokedAt = ++book.clock;
  const outcome = await cluster.call(() =>
    Promise.all(
      operations.map(async ({ id, from, key, value }) => {
        const done = (outcome: Operation['outcome'], result: string | null): Operation => ({
          id,
          client: id,
          kind: value === null ? 'get' : 'put',
          key,
          value,
          invokedAt,
          completedAt: outcome === 'timeout' ? null : ++book.clock,
          outcome,
          result,
        });
        try {
          await cluster.awake(from);
          const node = cluster.node(from);
          if (value === null) {
            const read = await node.query<string | null>(book.name, 'get', key, {
              consistency: 'consistent',
              timeoutMs: 5_000,
            });
            coverage.registerReads += 1;
            return done('ok', read);
          }
          await node.command(book.name, { key, value }, { timeoutMs: 5_000 });
          coverage.registerWrites += 1;
          return done('ok', null);
        } catch (error) {
          return done(notApplied.has(codeOf(error)) ? 'failed' : 'timeout', null);
        }
      }),
    ),
  );
  check(outcome.ok, `register operations never settled: ${!outcome.ok && String(outcome.error)}`);
  if (outcome.ok) book.history.push(...outcome.value);
}

/** The registers' history is linearizable: some order of its operations explains every result. */
function checkRegisters(book: RegisterBook): void {
  const verdict = checkLinearizable(book.history);
  if (verdict.linearizable) return;
  check(
    false,
    verdict.gaveUp
      ? `linearizability checker gave up on ${book.name} key ${verdict.key}: ${verdict.reason}`
      : `${book.name} history not linearizable on key ${verdict.key}: ${verdict.reason}`,
  );
}

/**
 * A read of a counter from a running node, at a consistency drawn: a consistent one sees what
 * was acknowledged before it began; any (a leader's or a local one may be stale) sees no more
 * than was sent.
 */
async function read(
  cluster: SimCluster,
  workload: Prng,
  book: GroupBook,
  from: string,
  coverage: ClusterCoverage,
): Promise<void> {
  const roll = workload.next();
  const consistency = roll < 0.6 ? 'consistent' : roll < 0.8 ? 'leader' : 'local';
  const floor = book.maxAcknowledged;
  const outcome = await cluster.call(async () =>
    (await on(cluster, from)).query<number>(book.name, 'total', undefined, { consistency, timeoutMs: 5_000 }),
  );
  if (!outcome.ok) {
    const code = codeOf(outcome.error);
    check(code !== 'MACHINE_ERROR', `${book.name}: a ${consistency} read failed with MACHINE_ERROR`);
    return;
  }
  if (consistency === 'consistent') coverage.reads += 1;
  else if (consistency === 'leader') coverage.leaderReads += 1;
  else coverage.localReads += 1;
  check(
    Number.isInteger(outcome.value) && outcome.value >= 0,
    `${book.name}: a ${consistency} read gave ${String(outcome.value)}, not a total`,
  );
  check(
    consistency !== 'consistent' || outcome.value >= floor,
    `${book.name}: a consistent read gave ${outcome.value}, below the acknowledged ${floor}`,
  );
  check(
    outcome.value <= book.sent,
    `${book.name}: a ${consistency} read gave ${outcome.value}, beyond the ${book.sent} sent`,
  );
}

/** After healing: a leader, every acknowledged command held, and every member level. */
async function checkSettled(cluster: SimCluster, book: GroupBook): Promise<void> {
  let total: number | null = null;
  for (let attempt = 0; attempt < 20 && total === null; attempt += 1) {
    const outcome = await cluster.call(() =>
      cluster
        .node(cluster.names[attempt % cluster.names.length]!)
        .query<number>(book.name, 'total', undefined, {
          consistency: 'consistent',
          timeoutMs: 5_000,
        }),
    );
    if (outcome.ok) total = outcome.value;
    else await cluster.run(1_000);
  }
  if (total === null)
    check(false, `${book.name}: no leader answered after healing; ${await statuses(cluster, book.name)}`);
  if (total === null) return;
  check(
    total >= book.maxAcknowledged,
    `${book.name}: total ${total} lost acknowledged ${book.maxAcknowledged}`,
  );
  check(total <= book.sent, `${book.name}: total ${total} beyond the ${book.sent} commands sent`);
  let locals: unknown[] = [];
  for (let attempt = 0; attempt < 30; attempt += 1) {
    locals = [];
    for (const name of cluster.names) {
      const local = await cluster.call(() =>
        cluster.node(name).query<number>(book.name, 'total', undefined, { consistency: 'local' }),
      );
      locals.push(local.ok ? local.value : codeOf(local.error));
    }
    if (locals.every((local) => local === total)) return;
    await cluster.run(1_000);
  }
  check(
    false,
    `${book.name}: members did not converge on ${total}: ${JSON.stringify(locals)}; ${await statuses(cluster, book.name)}`,
  );
}

/**
 * A member removed (removeMember, from any running node), or one removed earlier added back
 * (addMember): the group keeps every acknowledged command, and a member added back catches up.
 * Now and then two changes are asked at once, from two nodes, as two applications of one broker
 * might: the leader takes one change at a time (the other is busy until the first commits).
 */
async function changeMembers(
  cluster: SimCluster,
  workload: Prng,
  book: GroupBook,
  coverage: ClusterCoverage,
): Promise<void> {
  const running = cluster.names.filter((name) => cluster.running(name));
  if (running.length === 0 || book.deleting) return;
  const changes = workload.chance(0.3) ? 2 : 1;
  const planned: { readonly node: string; readonly add: boolean }[] = [];
  for (let change = 0; change < changes; change += 1) {
    const out = book.removed.filter((node) => !planned.some((other) => other.node === node));
    const members = cluster.names.filter(
      (node) => !book.removed.includes(node) && !planned.some((other) => other.node === node),
    );
    // At most all but one removed: a group keeps a member.
    const add = out.length > 0 && (members.length <= 1 || workload.chance(0.5));
    if (!add && members.length <= 1) break;
    planned.push({ node: workload.pick(add ? out : members), add });
  }
  if (planned.length > 1) coverage.concurrentChanges += 1;
  const outcome = await cluster.call(() =>
    Promise.allSettled(
      planned.map(async ({ node, add }) => {
        const caller = await on(cluster, workload.pick(running));
        return add
          ? caller.addMember(book.name, node, { timeoutMs: 5_000 })
          : caller.removeMember(book.name, node, { timeoutMs: 5_000 });
      }),
    ),
  );
  check(outcome.ok, `membership changes never settled: ${!outcome.ok && String(outcome.error)}`);
  if (!outcome.ok) return;
  for (const [position, settled] of outcome.value.entries()) {
    const { node, add } = planned[position]!;
    const code = settled.status === 'fulfilled' ? null : codeOf(settled.reason);
    if (add && code === null) {
      book.removed.splice(book.removed.indexOf(node), 1);
      coverage.additions += 1;
    }
    if (add) continue;
    // Asked at any moment, while another voter is down or its data lost too: the leader refuses
    // (OVERLOADED) a removal that would leave no quorum of voters that answer. A removal that
    // failed otherwise may still have happened: the member is added back all the same.
    if (code === null || code === 'TIMEOUT') book.removed.push(node);
    if (code === null) coverage.removals += 1;
    else if (code === 'OVERLOADED') coverage.removalsRefused += 1;
  }
}

/** addMember of `target`, whose member removeMember took out of `book`'s group, up to `tries` times. */
async function addBack(
  cluster: SimCluster,
  book: GroupBook,
  target: string,
  from: readonly string[],
  coverage: ClusterCoverage,
  tries: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < tries; attempt += 1) {
    const caller = from[attempt % from.length]!;
    const added = await cluster.call(async () =>
      (await on(cluster, caller)).addMember(book.name, target, { timeoutMs: 5_000 }),
    );
    if (added.ok) {
      book.removed.splice(book.removed.indexOf(target), 1);
      coverage.additions += 1;
      return true;
    }
    if (attempt + 1 < tries) await cluster.run(1_000);
  }
  return false;
}

/** Fails a running node's shard, as its worker thread dying would; now and then with a culprit. */
function failShard(cluster: SimCluster, workload: Prng, failures: Map<string, number>): void {
  // Under the node's limit of restarts a minute: past it the shard is not started again.
  const running = cluster.names.filter((name) => cluster.running(name) && (failures.get(name) ?? 0) < 2);
  if (running.length === 0) return;
  const name = workload.pick(running);
  const groups = cluster.node(name).groups();
  const culprit = groups.length > 0 && workload.chance(0.5) ? workload.pick(groups) : null;
  failures.set(name, (failures.get(name) ?? 0) + 1);
  cluster.failShard(name, culprit);
}

/**
 * createGroup of a group whose machine one node cannot load, from a running node: it fails
 * (BAD_ARGUMENT once every node has answered, else TIMEOUT) and no node holds the group.
 */
async function createUnloadable(
  cluster: SimCluster,
  workload: Prng,
  coverage: ClusterCoverage,
): Promise<void> {
  const running = cluster.names.filter((name) => cluster.running(name));
  if (running.length === 0) return;
  const spec = { machine: { module: unloadableModule }, members: [...cluster.names] };
  const created = await cluster.call(async () =>
    (await on(cluster, workload.pick(running))).createGroup(unloadableGroup, spec, { timeoutMs: 3_000 }),
  );
  check(!created.ok, `${unloadableGroup}, whose machine a node cannot load, was created`);
  if (!created.ok && codeOf(created.error) === 'BAD_ARGUMENT') coverage.unloadableRefused += 1;
  for (const name of running)
    if (cluster.running(name))
      check(!cluster.node(name).groups().includes(unloadableGroup), `${unloadableGroup} exists on ${name}`);
}

/**
 * A node restarted onto the counter's next version (or, if it is down, given it for when it
 * starts): stopped cleanly, as a deploy does, and started again.
 */
async function upgradeNode(
  cluster: SimCluster,
  name: string,
  module: string,
  upgrade: string,
  coverage: ClusterCoverage,
): Promise<void> {
  const running = cluster.running(name);
  if (running) await cluster.stop(name);
  cluster.install(name, module, upgrade);
  if (running) await cluster.start(name);
  coverage.upgrades += 1;
}

/**
 * No member's code is ever older than its log (it would stop applying); once every node runs
 * the next version, every member of the group has moved to it, through the log.
 */
async function checkVersion(
  cluster: SimCluster,
  book: GroupBook,
  upgraded: boolean,
  coverage: ClusterCoverage,
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const versions: number[] = [];
    for (const name of cluster.names) {
      const status = await cluster.call(() => cluster.node(name).status(book.name));
      if (!status.ok) continue;
      check(status.value.blocked === null, `${book.name}: ${name} is blocked: ${status.value.blocked}`);
      versions.push(status.value.version);
    }
    if (!upgraded) return;
    if (versions.length === cluster.names.length && versions.every((version) => version === 1)) {
      coverage.versionMoves += 1;
      return;
    }
    await cluster.run(1_000);
  }
  check(false, `${book.name}: every node runs version 1, yet ${await statuses(cluster, book.name)}`);
}

/** Each member's status, for a failure's message. */
async function statuses(cluster: SimCluster, group: string): Promise<string> {
  const parts: string[] = [];
  for (const name of cluster.names) {
    const status = await cluster.call(() => cluster.node(name).status(group));
    if (!status.ok) parts.push(`${name}: ${codeOf(status.error)}`);
    else {
      const { member, role, term, leader, commitIndex, appliedIndex, version, failure } = status.value;
      parts.push(
        `${member} ${role} term ${term} leader ${leader} commit ${commitIndex} applied ${appliedIndex} version ${version}${failure === null ? '' : ` failed: ${failure}`}`,
      );
    }
  }
  return parts.join('; ');
}
