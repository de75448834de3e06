// This node's members of groups: the directory that lists them, the WAL that holds their data,
// the shards that run them, and those that failed. Opening, closing, stopping, restarting and
// deleting a member happen here, and so does what a failure inside a member or a shard leaves.
import type { MemberSpec, MemberStatus, Outcome, ShardFailure, ShardSet } from '../actors/index.js';
import type { SharedLog } from '../wal/index.js';
import type { Directory, GroupRecord } from './directory.js';
import { badArgument, FlotillaError } from './errors.js';
import { checkGroupName, sameSpec } from './group-spec.js';

/**
 * A member's status as status() reports it: a stopped member reports role 'stopped' and zeros,
 * a failed one (it could not open, it broke an invariant, its thread died) 'failed' and why.
 */
export interface GroupStatus extends Omit<MemberStatus, 'role'> {
  readonly group: string;
  readonly node: string;
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

export class LocalMembers {
  /** Members here that failed (could not open, broke an invariant, lost their thread), and why. */
  readonly failures = new Map<string, string>();

  constructor(
    private readonly node: string,
    private readonly directory: Directory,
    private readonly wal: SharedLog,
    private readonly shards: ShardSet,
    private readonly events: LocalMembersEvents,
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
      await this.open(record, false).catch((error: unknown) => this.failed(record.name, error));
    }
  }

  /** Creates this node's member of a group (recording it first), or opens one recorded but not running. */
  async create(record: GroupRecord, founding: boolean): Promise<void> {
    const existing = this.directory.get(record.name);
    if (existing !== undefined) {
      if (!sameSpec(existing, record)) throw badArgument(`group ${record.name} exists with a different spec`);
      if (this.shards.has(record.name) || existing.stopped) return;
    } else {
      await this.directory.put(record);
    }
    await this.open(record, founding);
  }

  private async open(record: GroupRecord, founding: boolean): Promise<void> {
    const spec: Omit<MemberSpec, 'slot'> = {
      group: record.name,
      module: record.module,
      config: record.config,
      founders: founding ? record.members : null,
    };
    await this.shards.open(spec, this.wal.load(record.name));
    this.failures.delete(record.name);
  }

  /** Closes the member here, its peers told first not to wait on it. */
  async closeMember(group: string): Promise<void> {
    if (!this.shards.has(group)) return;
    this.events.changed(group, false);
    await this.shards.close(group);
  }

  async stop(group: string): Promise<void> {
    const record = this.require(group);
    await this.closeMember(group);
    await this.directory.put({ ...record, stopped: true });
  }

  async restart(group: string): Promise<void> {
    const record = this.require(group);
    await this.closeMember(group);
    await this.directory.put({ ...record, stopped: false });
    await this.open({ ...record, stopped: false }, false);
    this.events.changed(group, true);
  }

  /** Closes the member here and deletes its data and its record. */
  async delete(group: string): Promise<void> {
    if (this.directory.get(group) === undefined)
      throw new FlotillaError('NO_SUCH_GROUP', `no group ${group} here`);
    await this.closeMember(group);
    this.failures.delete(group);
    this.wal.deleteGroup(group);
    await this.directory.remove(group);
  }

  async status(group: string): Promise<GroupStatus> {
    this.require(group);
    const status = await this.shards.status(group).catch(() => undefined);
    if (status !== undefined) return { group, node: this.node, ...status, failure: null };
    const failure = this.failures.get(group) ?? null;
    return {
      group,
      node: this.node,
      role: failure === null ? 'stopped' : 'failed',
      failure,
      term: 0,
      leader: null,
      commitIndex: 0,
      appliedIndex: 0,
      logSize: 0,
      snapshotIndex: 0,
      pendingCommands: 0,
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
      this.open(record, false).then(
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
