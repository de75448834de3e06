// Shards, their schedulers and timer wheels, and the group actors they run.
export {
  type ActorInput,
  type Consistency,
  encodeCommand,
  GroupActor,
  maxPendingCommands,
  maxPendingReads,
  type Outcome,
} from './group-actor.js';
export { actorBudget, mailboxBound, roundBudget } from './scheduler.js';
export { type MemberSpec, Shard, type ShardHost } from './shard.js';
export { TimerWheel, tickMilliseconds } from './timer-wheel.js';
