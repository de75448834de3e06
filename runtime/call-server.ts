// The server side of calls: what a peer (or this node, through the router) asks of this node,
// and everything a peer sends, handed to the member, mailbox or waiting call it is for.
import { isOn, type Outcome, type ShardSet } from '../actors/index.js';
import type { Message } from '../raft/index.js';
import type { EffectsHost } from './effects-host.js';
import { type Envelope, type RemoteCall, raftEnvelopes } from './envelope.js';
import type { LocalMembers } from './local-members.js';
import { actorInput, outcomeOf } from './outcomes.js';
import type { Overview } from './overview.js';
import type { PendingCalls } from './pending-calls.js';
import type { ActorCall } from './router.js';
import type { Transport } from './transport.js';

/** What the call server needs of its node. */
export interface CallServerNode {
  readonly local: LocalMembers;
  readonly shards: ShardSet;
  readonly effects: EffectsHost;
  readonly calls: PendingCalls;
  readonly transport: Transport;
  isClosed(): boolean;
  overview(): Overview;
  /** Deletes this node's member of the group and forgets what was known of the group. */
  deleteMember(group: string): Promise<void>;
}

export class CallServer {
  /** Raft messages dropped because no member of their group runs here. */
  unknownGroupMessages = 0;

  constructor(private readonly node: CallServerNode) {}

  /** Runs a call here; `answer` hears its outcome (a local caller, or a reply to another node). */
  perform(call: RemoteCall, from: string, answer: (outcome: Outcome) => void): void {
    const { local, shards, effects } = this.node;
    if (this.node.isClosed()) {
      answer({ kind: 'error', code: 'STOPPED', message: 'the node is closing' });
      return;
    }
    const settle = <T>(work: Promise<T>, value: (result: T) => Outcome) =>
      work.then(
        (result) => answer(value(result)),
        (error: unknown) => answer(outcomeOf(error)),
      );
    switch (call.op) {
      case 'prepareMember':
        settle(local.prepare(call.record), (prepared) => ({ kind: 'ok', value: prepared }));
        return;
      case 'createMember':
        settle(local.create(call.record, call.founders, call.member, call.version), (created) =>
          created === 'stale' ? { kind: 'dropped' } : { kind: 'ok', value: undefined },
        );
        return;
      case 'deleteMember':
        settle(this.node.deleteMember(call.group), () => ({ kind: 'ok', value: undefined }));
        return;
      case 'record': {
        const record = local.record(call.group);
        answer(record === undefined ? local.missing(call.group) : { kind: 'ok', value: record });
        return;
      }
      case 'members':
        settle(shards.membership(call.group), (view) =>
          view === undefined ? local.missing(call.group) : { kind: 'ok', value: view },
        );
        return;
      case 'mailbox':
        effects.deliver(call.mailbox, call.message);
        return;
      case 'mailboxGone':
        effects.targetDown({ node: from, mailbox: call.mailbox }, 'mailboxGone');
        return;
      case 'memberChanged':
        shards.deliver(call.group, { kind: 'peer', node: from, up: call.up });
        return;
      case 'campaign':
        shards.deliver(call.group, { kind: 'campaign' });
        return;
      case 'overview':
        answer({ kind: 'ok', value: this.node.overview() });
        return;
      case 'status':
        settle(local.status(call.group), (status) => ({ kind: 'ok', value: status }));
        return;
      default:
        this.toActor(call, answer, null);
    }
  }

  /**
   * Hands a client call to this node's member of the group; its reply settles `answer`, or
   * TIMEOUT does at `deadline` when one is given (a caller on this node).
   */
  toActor(call: ActorCall, answer: (outcome: Outcome) => void, deadline: number | null): void {
    const { shards, calls, local } = this.node;
    if (!shards.has(call.group)) {
      answer(local.missing(call.group));
      return;
    }
    const request = calls.add(answer, deadline);
    if (!shards.deliver(call.group, actorInput(call, request))) {
      calls.drop(request);
      answer({ kind: 'error', code: 'OVERLOADED', message: `the mailbox of ${call.group} is full` });
    }
  }

  /**
   * A peer's raft batch: to this node's shard of the same index as it came when its worker shard
   * framed it for as many shards as this node has, read here otherwise. Throws WireError on a batch that does not read.
   */
  receiveFramed(from: string, batch: Uint8Array): void {
    if (this.node.isClosed() || this.node.shards.deliverFramed(from, batch)) return;
    this.receive(from, raftEnvelopes(batch));
  }

  /** What a peer sent: raft messages to members here, calls to run, and answers to calls made. */
  receive(from: string, envelopes: readonly Envelope[]): void {
    if (this.node.isClosed()) return;
    const { shards, transport, calls } = this.node;
    for (const envelope of envelopes) {
      switch (envelope.kind) {
        case 'raft':
          // A group deleted here, or never created, or a sender naming a member of another node:
          // nothing to tell, as a lost message.
          if (!shards.has(envelope.group) || !isOn(envelope.from, from)) {
            this.unknownGroupMessages += 1;
            break;
          }
          shards.deliver(envelope.group, {
            kind: 'message',
            from: envelope.from,
            message: envelope.message as Message,
          });
          break;
        case 'call': {
          const { id } = envelope;
          this.perform(envelope.call, from, (outcome) => {
            if (id !== 0) transport.send(from, { kind: 'result', id, outcome });
          });
          break;
        }
        case 'result':
          calls.settleFrom(from, envelope.id, envelope.outcome);
          break;
      }
    }
  }
}
