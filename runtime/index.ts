// The package's public entry: start a node, define machines, and the one error class.

export type {
  ApplyMeta,
  ApplyResult,
  Effect,
  Machine,
  MachineRole,
  SystemEvent,
  Target,
} from '../actors/index.js';
export { defineMachine } from '../actors/index.js';
export type { ErrorCode } from './errors.js';
export { FlotillaError } from './errors.js';
export type { GroupSpec, Members } from './group-spec.js';
export type { CallOptions, FlotillaNode, GroupStatus, QueryOptions } from './node.js';
export { startNode } from './node.js';
export type { NodeOptions } from './options.js';
export type { Overview } from './overview.js';
