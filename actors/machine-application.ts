// A member's machine at work: committed entries applied to it (each under the machine version in
// force at its index, what it returns checked before its state is taken), snapshots restored,
// queries answered, and its role callback run. The actor hands entries here once the core has
// committed them; the outcome of each for a waiting caller goes back through the shard.
import type { Entry, Member, Input as RaftInput } from '../raft/index.js';
import type { ShardContext } from './actor-io.js';
import { decodeEntryData, decodeState, detached, encodeState } from './entry-codec.js';
import type { Effect, MachineRole, SystemEvent } from './machine.js';
import { checkApplyResult, checkEffects } from './machine-output.js';
import { enterVersion, type VersionState } from './machine-versions.js';
import { plainDataProblem } from './plain-data.js';

/** What of its actor a member's machine works with. */
export interface ApplyHost extends VersionState {
  readonly group: string;
  readonly member: Member;
  readonly context: ShardContext;
  state: unknown;
  /** The last entry applied to the machine here: behind the core's while blocked. */
  appliedIndex: number;
  /** Steps the core from within an apply (a snapshot taken at a release cursor). */
  step(input: RaftInput): void;
  /** Fails the consistent reads still waiting, once this member can no longer answer them. */
  failReads(message: string): void;
}

/** Applies one committed entry; `request` is the caller waiting on it here, if any. */
export function applyEntry(host: ApplyHost, entry: Entry, request: number | null): void {
  const { context } = host;
  if (host.versionBlocked !== null) {
    // A member that cannot apply cannot answer: the entry applies on the others.
    if (request !== null)
      context.reply(request, {
        kind: 'error',
        code: 'TIMEOUT',
        message: `the member that took the call cannot apply the log: ${host.versionBlocked}`,
      });
    return;
  }
  if (entry.kind !== 'command') {
    host.appliedIndex = entry.index;
    if (request !== null) context.reply(request, { kind: 'ok', value: undefined });
    return;
  }
  const [tag, payload] = decodeEntryData(entry.data);
  if (tag === 2) {
    applyVersion(host, entry, payload as number);
    if (request !== null) context.reply(request, { kind: 'ok', value: undefined });
    return;
  }
  host.appliedIndex = entry.index;
  const meta = { index: entry.index, term: entry.term, time: entry.time, version: host.effectiveVersion };
  const from = tag === 0 ? 'apply' : 'system';
  let returned: unknown;
  try {
    returned =
      tag === 0
        ? host.machine.apply(meta, payload, host.state)
        : (host.machine.system?.(meta, payload as SystemEvent, host.state) ?? { state: host.state });
  } catch (error) {
    // The same command throws on every member, so every member keeps the state it had.
    machineFailed(host, request, tag === 1, String(error));
    return;
  }
  // Checked on every member alike: what fails here fails everywhere, and the state stays.
  const checked = checkApplyResult(returned, entry.index, from);
  if (!checked.ok) {
    machineFailed(host, request, tag === 1, checked.problem);
    return;
  }
  const result = checked.value;
  host.state = result.state;
  if (request !== null) context.reply(request, { kind: 'ok', value: detached(result.reply) });
  if (result.effects !== undefined && result.effects.length > 0) runEffects(host, entry.term, result.effects);
}

/** A command the machine failed: its caller hears why; a system event's failure is reported by the leader. */
function machineFailed(host: ApplyHost, request: number | null, system: boolean, message: string): void {
  if (request !== null) host.context.reply(request, { kind: 'error', code: 'MACHINE_ERROR', message });
  else if (system && host.member.role === 'leader') host.context.report(host.group, 'MACHINE_ERROR', message);
}

/**
 * A leader runs the effects of the entries of its own term only. An entry of an earlier term
 * may have had its effects run by the leader that appended it, before a restart or a change
 * of leader, and nothing on this member can tell: so effects are run at most once, and a
 * machine re-establishes what a new leader needs (monitors, timers) from stateEnter.
 */
function runEffects(host: ApplyHost, term: number, effects: readonly Effect[]): void {
  const member = host.member;
  const leaderEffects: Effect[] = [];
  for (const effect of effects) {
    // Every member truncates its own log; everything else is the leader's to do, once.
    if (effect.type === 'releaseCursor') {
      if (effect.index <= member.applied && effect.index > member.log.snapshotIndex)
        host.step({
          type: 'snapshot',
          index: effect.index,
          data: encodeState(host.effectiveVersion, effect.state),
        });
    } else if (member.role === 'leader' && term === member.term) {
      leaderEffects.push(effect);
    }
  }
  if (leaderEffects.length > 0) host.context.effects(host.group, leaderEffects);
}

/** A snapshot becomes the member's state, at the machine version it was taken under. */
export function restoreSnapshot(host: ApplyHost, index: number, data: Uint8Array): void {
  const { version, state } = decodeState(data);
  if (!enterVersion(host, version, `a snapshot at ${index}`)) {
    stopApplying(host);
    return;
  }
  host.state = state;
  host.appliedIndex = index;
}

/**
 * A version entry: from here on the group applies under `version`, on every member alike. The
 * machine's `upgrade`, if it has one, turns the state into the new version's, here, in the log.
 */
function applyVersion(host: ApplyHost, entry: Entry, version: number): void {
  const from = host.effectiveVersion;
  if (!enterVersion(host, version, `entry ${entry.index}`)) {
    stopApplying(host);
    return;
  }
  host.appliedIndex = entry.index;
  if (version <= from || host.machine.upgrade === undefined) return;
  let upgraded: unknown;
  try {
    upgraded = host.machine.upgrade(from, host.state);
  } catch (error) {
    // The same on every member: the state stays as it was, under the new version.
    reportHere(
      host,
      `upgrade(${from}) to version ${version} threw, so the state stays as it was: ${String(error)}`,
    );
    return;
  }
  host.state = upgraded;
}

/** This member's code is older than its log: it applies nothing more and gives up leading. */
function stopApplying(host: ApplyHost): void {
  reportHere(host, `${host.versionBlocked}; it stops applying until its code is upgraded`);
  host.failReads(host.versionBlocked!);
}

/** Reported by the member it concerns: the one blocked, or for what every member does, the leader. */
function reportHere(host: ApplyHost, message: string): void {
  if (host.member.role === 'leader' || host.versionBlocked !== null)
    host.context.report(host.group, 'MACHINE_ERROR', message);
}

/** Runs a named query on the state here and answers `request`, its result checked like a reply. */
export function answerQuery(host: ApplyHost, request: number, name: string, arg: unknown): void {
  const { context } = host;
  if (host.versionBlocked !== null) {
    context.reply(request, { kind: 'error', code: 'STOPPED', message: host.versionBlocked });
    return;
  }
  let value: unknown;
  try {
    value = host.machine.queries![name]!(host.state, arg);
  } catch (error) {
    context.reply(request, { kind: 'error', code: 'MACHINE_ERROR', message: String(error) });
    return;
  }
  const problem = plainDataProblem(value, `the result of query ${name}`);
  if (problem !== null) context.reply(request, { kind: 'error', code: 'MACHINE_ERROR', message: problem });
  else context.reply(request, { kind: 'ok', value: detached(value) });
}

/** The machine's stateEnter on a new role; what it returns is checked, and a leader runs it. */
export function enterRole(host: ApplyHost, role: MachineRole): void {
  const stateEnter = host.machine.stateEnter;
  if (stateEnter === undefined) return;
  let returned: unknown;
  try {
    returned = stateEnter(role, host.state);
  } catch (error) {
    host.context.report(host.group, 'MACHINE_ERROR', `stateEnter(${role}) threw: ${String(error)}`);
    return;
  }
  const checked = checkEffects(returned, null, `stateEnter(${role})`);
  if (!checked.ok) host.context.report(host.group, 'MACHINE_ERROR', `${checked.problem}; none of them ran`);
  else if (role === 'leader' && checked.value.length > 0) host.context.effects(host.group, checked.value);
}
