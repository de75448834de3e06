// Machine versions go through the log, as in Ra. The version a group applies under is recorded
// in it (a version entry, and with every snapshot); every entry is applied under the version in
// force at its index, on every member, and machines see it as `meta.version`. A leader moves the
// group to a newer version only once every voter's code supports it (followers report their
// code's version in their responses while it is ahead of the log's). A member whose code is older
// than its log's version stops applying, says so, and no longer leads, rather than diverge.
import type { Member } from '../raft/index.js';
import type { Machine } from './machine.js';

/** What a member keeps of versions: fields of its actor, so an idle member holds no object more. */
export interface VersionState {
  readonly machine: Machine;
  /** The version in force at the last entry applied here. */
  effectiveVersion: number;
  /** Why this member stopped applying, once its code turned out too old for its log. */
  versionBlocked: string | null;
  /** The highest version this member proposed while leading, in term `proposedTerm`: once a term. */
  proposedVersion: number;
  /**
   * A proposal of an earlier term may have been overwritten since (its leader deposed before it
   * committed), so a leader proposes again in a term of its own.
   */
  proposedTerm: number;
}

/** The version this member's machine code supports (`machine.version`, 0 if it has none). */
export function codeVersion(state: VersionState): number {
  return state.machine.version ?? 0;
}

/** What the member reports to its leader: its code's version, while that is ahead of the log's. */
export function reportedVersion(state: VersionState): number {
  const code = codeVersion(state);
  return code > state.effectiveVersion ? code : 0;
}

/** Takes the log to `version` (an entry or a snapshot); false, and blocked, if the code is older. */
export function enterVersion(state: VersionState, version: number, at: string): boolean {
  const code = codeVersion(state);
  if (version > code) {
    state.versionBlocked = `the log is at machine version ${version} from ${at}, but this member's code supports ${code}`;
    return false;
  }
  state.effectiveVersion = version;
  return true;
}

/**
 * The version a leader should move its group to now, or null: the lowest version its voters'
 * code supports, when that is ahead of the log's and of what it proposed already. A voter that
 * reported nothing supports the log's version and no more. Non-voters waiting to be promoted
 * count as the voters they are about to be: a member that replaces one whose disk was lost
 * would otherwise be promoted a voter that cannot apply its log.
 */
export function targetVersion(state: VersionState, member: Member): number | null {
  if (member.role !== 'leader' || state.versionBlocked !== null) return null;
  let lowest = codeVersion(state);
  if (lowest <= state.effectiveVersion) return null;
  const { voters, promote } = member.log.config;
  for (const voter of [...voters, ...promote]) {
    if (voter === member.id) continue;
    const reported = member.progress.get(voter)?.version ?? 0;
    lowest = Math.min(lowest, Math.max(reported, state.effectiveVersion));
  }
  const proposed = state.proposedTerm === member.term ? state.proposedVersion : 0;
  return lowest > Math.max(state.effectiveVersion, proposed) ? lowest : null;
}
