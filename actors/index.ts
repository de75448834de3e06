// Shards, their schedulers and timer wheels, and the group actors they run.

export {
  type ActorInput,
  type Consistency,
  type MemberStatus,
  type MemberView,
  maxPendingCommands,
  maxPendingReads,
  type Outcome,
  type ShardWatch,
} from './actor-io.js';
export { type Clock, sleep, systemClock, type TimerHandle } from './clock.js';
export type { CoreObserver } from './core-host.js';
export { encodeCommand } from './entry-codec.js';
export { asFlotillaError, badArgument, type ErrorCode, FlotillaError } from './errors.js';
export { GroupActor } from './group-actor.js';
export {
  type ApplyMeta,
  type ApplyResult,
  defineMachine,
  type Effect,
  type Machine,
  type MachineRole,
  type SystemEvent,
  type Target,
} from './machine.js';
export { memberOn, type NodeChange } from './member-changes.js';
export { isOn, newMemberId, nodeOf } from './member-id.js';
export { maxPlainDepth, maxPlainValues, plainDataProblem } from './plain-data.js';
export { decodeRaftBatch, encodeRaftBatch, raftBatchShard, WireError } from './raft-batch.js';
export { actorBudget, mailboxBound, roundBudget } from './scheduler.js';
export { type MemberSpec, Shard, type ShardHost } from './shard.js';
export {
  groupHash,
  maxShardRestartsPerMinute,
  type ShardFailure,
  ShardSet,
  type ShardSetHost,
} from './shard-set.js';
export { TimerWheel, tickMilliseconds } from './timer-wheel.js';
