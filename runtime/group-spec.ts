// What createGroup is given and what the directory keeps of it: checked once, at the boundary.
import type { NodeId } from '../raft/index.js';
import type { GroupRecord } from './directory.js';
import { badArgument } from './errors.js';

export interface GroupSpec {
  readonly machine: { readonly module: string; readonly config?: unknown };
  readonly members: readonly string[];
}

export interface Members {
  readonly leader: NodeId | null;
  readonly voters: readonly NodeId[];
  readonly nonVoters: readonly NodeId[];
}

export function allMembers(members: Members): string[] {
  return [...members.voters, ...members.nonVoters];
}

export function checkGroupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 1024)
    throw badArgument('a group name is a non-empty string of at most 1024 bytes');
}

export function recordOf(name: string, spec: GroupSpec): GroupRecord {
  if (typeof spec !== 'object' || spec === null) throw badArgument('a group spec is an object');
  const module = spec.machine?.module;
  if (typeof module !== 'string' || module === '')
    throw badArgument('spec.machine.module must be a module URL');
  // Every member node loads it, on any thread: a path relative to something would mean
  // something else there (the package's own files, a worker's directory).
  if (!URL.canParse(module))
    throw badArgument(
      `spec.machine.module must be an absolute URL, not ${JSON.stringify(module)}: ` +
        "use new URL('./machine.js', import.meta.url).href",
    );
  if (!Array.isArray(spec.members) || spec.members.length === 0)
    throw badArgument('spec.members must list at least one node');
  if (spec.members.some((member) => typeof member !== 'string' || member === ''))
    throw badArgument('spec.members are node names');
  if (new Set(spec.members).size !== spec.members.length)
    throw badArgument('spec.members lists a node twice');
  return { name, module, config: spec.machine.config ?? null, members: [...spec.members], stopped: false };
}

export function sameSpec(a: GroupRecord, b: GroupRecord): boolean {
  return (
    a.module === b.module &&
    JSON.stringify(a.config) === JSON.stringify(b.config) &&
    JSON.stringify([...a.members].sort()) === JSON.stringify([...b.members].sort())
  );
}
