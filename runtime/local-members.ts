// This node's members of groups: the directory that lists them, the WAL that holds their data,
// the shards that run them, and those that failed. Opening, closing, stopping, restarting and
// deleting a member happen here, and so does what a failure inside a member or a shard leaves.
import {
  type MemberSpec,
  type MemberStatus,
  newMemberId,
  type Outcome,
  type ShardFailure,
  type ShardSet,
} from '../actors/index.js';
import type { GroupLog, StoredState } from '../wal/index.js';
import type { GroupDirectory, GroupRecord } from './directory.js';
import type { Prepared } from './envelope.js';
import { badArgument, FlotillaError } from './errors.js';
import { checkGroupName, sameSpec } from './group-spec.js';

/**
 * A member's status as status() reports it: a stopped member reports role 'stopped' and zeros,
 * a failed one (it could not open, it broke an invariant, its thread died) 'failed' and why.
 */
export interface GroupStatus extends Omit<MemberStatus, 'role' | 'member'> {
  readonly group: string;
  readonly node: string;
  /** This node's member's identity (node and incarnation of its data), or null if it has none. */
  readonly member: string | null;
  readonly role: MemberStatus['role'] | 'stopped' | 'failed';
  /** Why the member failed, for role 'failed'; null otherwise. */
  readonly failure: string | null;
}

/** What the node does when a member here comes and goes. */
export interface LocalMembersEvents {
  /** The member here closed (asked to or not) or opened again: its peers stop waiting on it, or may again. */
  changed(group: string, up: boolean): void;
  error(error: FlotillaError): void;
}

/**
 * Identities offered by prepareMember for members not created yet, kept so that two createGroup
 * calls at once found the group with the same members. Past this many, the oldest are dropped
 * (a createGroup that loses its offer asks again).
 */
const maxReservations = 10_000;

/** What create() did: made the member, found it there already, or refused an offer no longer made. */
export type Created = 'created' | 'held' | 'stale';

export class LocalMembers {
  /** Members here that failed (could not open, broke an invariant, lost their thread), and why. */
  readonly failures = new Map<string, string>();
  private readonly reservations = new Map<string, string>();
  /** The lifecycle change under way for each group: the next one waits for it. */
  private readonly changing = new Map<string, Promise<void>>();

  constructor(
    private readonly node: string,
    private readonly directory: GroupDirectory,
    private readonly wal: GroupLog,
    private readonly shards: ShardSet,
    private readonly events: LocalMembersEvents,
    /** Where new identities draw their incarnations (the simulator's randomness), else the process's. */
    private readonly random?: (count: number) => Uint8Array,
  ) {}

  record(group: string): GroupRecord | undefined {
    return this.directory.get(group);
  }

  /** The names of the groups with a member here, sorted. */
  names(): string[] {
    return [...this.directory.all()].map((record) => record.name).sort();
  }

  get size(): number {
    return this.directory.size;
  }

  running(group: string): boolean {
    return this.shards.has(group);
  }

  /** The record of a group this node holds, or NO_SUCH_GROUP. */
  require(group: string): GroupRecord {
    checkGroupName(group);
    const record = this.directory.get(group);
    if (record === undefined)
      throw new FlotillaError('NO_SUCH_GROUP', `no group ${group} on node ${this.node}`);
    return record;
  }

  /** Opens every stored member that is not stopped; one that cannot open is reported failed, not fatal. */
  async openAll(): Promise<void> {
    for (const record of this.directory.all()) {
      if (record.stopped) continue;
      await this.open(record).catch((error: unknown) => this.failed(record.name, error));
    }
  }

  /**
   * Whether this node holds the group (a member with data, or one waiting for it), and that
   * member's identity; if not, the machine is loaded and started where the member would run
   * (a module that cannot load, an init that throws: BAD_ARGUMENT) and an identity is offered.
   * Nothing is written.
   */
  async prepare(record: GroupRecord): Promise<Prepared> {
    const existing = this.directory.get(record.name);
    if (existing !== undefined && !sameSpec(existing, record))
      throw badArgument(`group ${record.name} exists with a different spec`);
    const held = existing === undefined ? null : this.heldMember(record.name);
    if (held !== null) {
      const status = await this.status(record.name);
      const running = status.role !== 'stopped' && status.role !== 'failed';
      const term = running ? status.term : (this.wal.load(record.name)?.term ?? 0);
      const found = { holds: true, member: held, version: 0, term, empty: status.stalled };
      return existing?.founding === undefined ? found : { ...found, founding: existing.founding };
    }
    const version = await this.shards.check(record.name, record.module, record.config);
    return { holds: false, member: this.reserve(record.name), version };
  }

  /**
   * Creates this node's member `member` (an identity prepare offered) of a group: a founder
   * when `founders` are given, else an empty member. A node that holds the group already
   * leaves it be (opening it again if it failed); an offer since withdrawn is refused.
   */
  create(
    record: GroupRecord,
    founders: readonly string[] | null,
    member: string,
    version: number,
  ): Promise<Created> {
    return this.oneAtATime(record.name, () => this.createNow(record, founders, member, version));
  }

  private async createNow(
    record: GroupRecord,
    founders: readonly string[] | null,
    member: string,
    version: number,
  ): Promise<Created> {
    const existing = this.directory.get(record.name);
    if (existing !== undefined && !sameSpec(existing, record))
      throw badArgument(`group ${record.name} exists with a different spec`);
    if (existing !== undefined && this.heldMember(record.name) !== null) {
      if (!this.shards.has(record.name) && !existing.stopped) {
        await this.open(existing);
        // Its peers stopped waiting on it when it failed: they hear it is back, or a quiet
        // leader never sends it anything again.
        this.events.changed(record.name, true);
      }
      return 'held';
    }
    if (this.reservations.get(record.name) !== member) return 'stale';
    this.reservations.delete(record.name);
    await this.directory.put(
      founders === null ? record : { ...record, founding: { members: founders, version } },
    );
    // Who this member is goes to the WAL before anything it writes, in the same batch.
    this.wal.setIdentity(record.name, member);
    await this.start(record, member, founders, version, fresh(member));
    return 'created';
  }

  /**
   * Opens a recorded member from what the WAL holds. One whose data is gone (the directory
   * survived, the log did not) is a new member: it gets a new identity and waits, empty, for the
   * leader's snapshot, and the leader replaces the old identity by it.
   */
  private async open(record: GroupRecord): Promise<void> {
    let stored = this.wal.load(record.name);
    let member = identityOf(this.node, stored);
    if (member === null) {
      member = newMemberId(this.node, this.random);
      this.wal.setIdentity(record.name, member);
      stored = fresh(member);
    }
    await this.start(record, member, null, 0, stored);
  }

  private async start(
    record: GroupRecord,
    member: string,
    founders: readonly string[] | null,
    version: number,
    stored: StoredState | undefined,
  ): Promise<void> {
    const spec: Omit<MemberSpec, 'slot'> = {
      group: record.name,
      member,
      module: record.module,
      config: record.config,
      founders,
      version,
    };
    await this.shards.open(spec, stored);
    this.failures.delete(record.name);
  }

  /** The identity of this node's member of `group`, running or stored; null when it has no data. */
  heldMember(group: string): string | null {
    return this.shards.memberOf(group) ?? identityOf(this.node, this.wal.load(group));
  }

  private reserve(group: string): string {
    let member = this.reservations.get(group);
    if (member === undefined) {
      if (this.reservations.size >= maxReservations)
        this.reservations.delete(this.reservations.keys().next().value!);
      member = newMemberId(this.node, this.random);
      this.reservations.set(group, member);
    }
    return member;
  }

  /** Closes the member here, its peers told first not to wait on it. */
  async closeMember(group: string): Promise<void> {
    if (!this.shards.has(group)) return;
    this.events.changed(group, false);
    await this.shards.close(group);
  }

  stop(group: string): Promise<void> {
    return this.oneAtATime(group, async () => {
      const record = this.require(group);
      await this.closeMember(group);
      await this.directory.put({ ...record, stopped: true });
    });
  }

  restart(group: string): Promise<void> {
    return this.oneAtATime(group, async () => {
      const record = this.require(group);
      await this.closeMember(group);
      await this.directory.put({ ...record, stopped: false });
      await this.open({ ...record, stopped: false });
      this.events.changed(group, true);
    });
  }

  /** Closes the member here and deletes its data and its record. */
  delete(group: string): Promise<void> {
    return this.oneAtATime(group, async () => {
      if (this.directory.get(group) === undefined)
        throw new FlotillaError('NO_SUCH_GROUP', `no group ${group} here`);
      await this.closeMember(group);
      this.failures.delete(group);
      // Durable before the directory forgets it: else a crash between the two leaves the old
      // data in the log, which a member created again under the name would take for its own.
      await this.wal.deleteGroup(group);
      await this.directory.remove(group);
    });
  }

  /**
   * Runs a change of the group's member (create, stop, restart, delete) once the one before it
   * has ended: interleaved, a restart could open the member again after a delete closed it.
   */
  private oneAtATime<T>(group: string, change: () => Promise<T>): Promise<T> {
    const before = this.changing.get(group) ?? Promise.resolve();
    const run = before.then(change);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.changing.set(group, settled);
    settled.then(() => {
      if (this.changing.get(group) === settled) this.changing.delete(group);
    });
    return run;
  }

  async status(group: string): Promise<GroupStatus> {
    this.require(group);
    const status = await this.shards.status(group).catch(() => undefined);
    if (status !== undefined) return { group, node: this.node, ...status, failure: null };
    const failure = this.failures.get(group) ?? null;
    const stored = this.wal.load(group);
    return {
      group,
      node: this.node,
      member: identityOf(this.node, stored),
      version: 0,
      blocked: null,
      role: failure === null ? 'stopped' : 'failed',
      failure,
      term: 0,
      leader: null,
      commitIndex: 0,
      appliedIndex: 0,
      logSize: 0,
      snapshotIndex: 0,
      pendingCommands: 0,
      stalled: (stored?.snapshot ?? null) === null,
    };
  }

  /** The answer for a call on a member that is not running here: none, stopped, or failed. */
  missing(group: string): Outcome {
    if (this.directory.get(group) === undefined)
      return { kind: 'error', code: 'NO_SUCH_GROUP', message: `no group ${group} on ${this.node}` };
    const failure = this.failures.get(group);
    if (failure !== undefined)
      return {
        kind: 'error',
        code: 'STOPPED',
        message: `the member of ${group} on ${this.node} failed: ${failure}`,
      };
    return { kind: 'error', code: 'STOPPED', message: `group ${group} is stopped on ${this.node}` };
  }

  /** The member here could not open: it stays closed, and says why. */
  failed(group: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failures.set(group, reason);
    this.events.error(
      new FlotillaError('STOPPED', `the member of ${group} on ${this.node} could not open: ${reason}`),
    );
  }

  /** A member here threw and was closed: its peers stop waiting on it, and the node says so. */
  memberFailed(group: string, reason: string): void {
    this.failures.set(group, reason);
    this.events.changed(group, false);
    this.events.error(
      new FlotillaError('STOPPED', `the member of ${group} on ${this.node} failed and stopped: ${reason}`),
    );
  }

  /**
   * A shard's worker failed with these members on it. The one that was running is taken for the
   * cause and stays failed; the others are opened again from the WAL on the fresh worker.
   */
  shardFailed(failure: ShardFailure): void {
    for (const group of failure.groups) this.events.changed(group, false);
    const reopen = failure.restarted ? failure.groups.filter((group) => group !== failure.culprit) : [];
    for (const group of failure.groups) {
      if (reopen.includes(group)) continue;
      this.failures.set(
        group,
        group === failure.culprit
          ? `its machine was running when its shard's thread failed: ${failure.reason}`
          : `its shard's thread failed and was not started again: ${failure.reason}`,
      );
    }
    this.events.error(
      new FlotillaError(
        'STOPPED',
        `shard ${failure.shard} of node ${this.node} failed (${failure.reason}) with ${failure.groups.length} members;` +
          (failure.restarted ? ` ${reopen.length} reopen on a new thread` : ' it is not started again'),
      ),
    );
    for (const group of reopen) {
      const record = this.directory.get(group);
      if (record === undefined || record.stopped) continue;
      this.open(record).then(
        () => this.events.changed(group, true),
        (error: unknown) => this.failed(group, error),
      );
    }
  }

  /** Closes the directory, once every member is closed. */
  closeDirectory(): Promise<void> {
    return this.directory.close();
  }
}

/** What a member just created holds: its identity and nothing else. */
function fresh(member: string): StoredState {
  return { term: 0, vote: null, commit: 0, snapshot: null, entries: [], partial: null, identity: member };
}

/**
 * Who the stored member is: the identity it recorded, or, for data stored before identities were
 * recorded, the node's name (how members were named then); null when nothing is stored.
 */
function identityOf(node: string, stored: StoredState | undefined): string | null {
  if (stored === undefined) return null;
  if (stored.identity !== null) return stored.identity;
  const data =
    stored.snapshot !== null || stored.entries.length > 0 || stored.partial !== null || stored.term > 0;
  return data ? node : null;
}
