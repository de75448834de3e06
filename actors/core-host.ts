// The core's outputs carried out, in the one place every host of a member shares: the runtime's
// group actor, the simulator's node and the core's test cluster. The rules here are the ones a
// host can get wrong without the core noticing: a message the core marks `sync` waits until
// every write emitted before it is durable (a vote or an acknowledgement must not outrun the
// disk), and a caller's command is answered by the entry the core accepted it at, in the term
// it was accepted in (another entry at that index means the command was overwritten).
import {
  type Entry,
  type Input,
  type Member,
  type Message,
  type NodeId,
  type Output,
  step,
  type Write,
} from '../raft/index.js';

/**
 * Watches every member of a node step, for the simulator's safety checks; production nodes have
 * none. It sees the member as each step left it (before its outputs are carried out), and every
 * message as it leaves for the transport.
 */
export interface CoreObserver {
  stepped(
    group: string,
    member: Member,
    input: Input,
    commitBefore: number,
    outputs: readonly Output[],
  ): void;
  sent(group: string, member: Member, to: NodeId, message: Message): void;
  /** Member `member`'s machine holds `state` having applied the log to `index` (or restored a snapshot there). */
  applied?(group: string, member: NodeId, index: number, state: unknown): void;
}

/** What a host does itself: the outputs this class does not carry out. */
export type HostOutput = Exclude<Output, { readonly type: 'send' | 'persist' | 'accepted' | 'apply' }>;

interface HeldSend {
  readonly seq: number;
  readonly to: NodeId;
  readonly message: Message;
}

interface WaitingCommand {
  index: number;
  term: number;
}

/** The commands waiting on their entries, kept apart so an idle member holds no maps. */
class Commands {
  readonly byRequest = new Map<number, WaitingCommand>();
  /** Requests by the index the core accepted their entry at. */
  readonly acceptedAt = new Map<number, number>();
}

export abstract class CoreHost {
  /** Messages waiting for this member's writes to be durable; null while there are none. */
  private held: HeldSend[] | null = null;
  private lastPersistSeq = 0;
  private commands: Commands | null = null;

  constructor(
    readonly member: Member,
    /** The group's name and the node's observer, when one watches (under the simulator). */
    private readonly watch: { readonly group: string; readonly observer: CoreObserver } | null = null,
  ) {}

  /** Commands (and membership changes) waiting here for their entry to apply. */
  get pendingCommands(): number {
    return this.commands?.byRequest.size ?? 0;
  }

  /** Request `request` is about to be proposed: the entry it is accepted at will answer it. */
  protected awaitEntry(request: number): void {
    this.commands ??= new Commands();
    this.commands.byRequest.set(request, { index: 0, term: 0 });
  }

  /** Forgets request `request`'s command; whether it was waiting. */
  protected forgetCommand(request: number): boolean {
    const commands = this.commands;
    if (commands === null || !commands.byRequest.delete(request)) return false;
    if (commands.byRequest.size === 0) this.commands = null;
    return true;
  }

  /** The requests of every waiting command, forgotten (the member is closing). */
  protected abandonCommands(): number[] {
    const requests = [...(this.commands?.byRequest.keys() ?? [])];
    this.commands = null;
    return requests;
  }

  /** Steps the core at `now` and carries out its outputs in order; returns them. */
  protected stepCore(now: number, input: Input): readonly Output[] {
    const commitBefore = this.member.commit;
    const outputs = step(this.member, now, input);
    // Seen as the core left it, before carrying out its outputs steps it again (a snapshot at a release cursor).
    this.watch?.observer.stepped(this.watch.group, this.member, input, commitBefore, outputs);
    for (const output of outputs) this.carryOut(output);
    if (input.type === 'durable') this.releaseHeld();
    return outputs;
  }

  /** Sends `message` to `to` now. */
  protected abstract transmit(to: NodeId, message: Message): void;
  /** Hands write `seq` to the disk; the host steps `durable` once it (and all before it) is. */
  protected abstract write(seq: number, write: Write): void;
  /**
   * Applies a committed entry to the machine. `request` is the caller waiting on it here, or
   * null; a caller whose entry was overwritten heard `overwritten` first.
   */
  protected abstract applyEntry(entry: Entry, request: number | null): void;
  /** Request `request`'s entry was replaced by another: its command was not applied. */
  protected abstract overwritten(request: number): void;
  /** Every other output. */
  protected abstract carry(output: HostOutput): void;

  private carryOut(output: Output): void {
    switch (output.type) {
      case 'send':
        if (output.sync && this.lastPersistSeq > this.member.durableSeq) {
          this.held ??= [];
          this.held.push({ seq: this.lastPersistSeq, to: output.to, message: output.message });
        } else {
          this.send(output.to, output.message);
        }
        return;
      case 'persist':
        this.lastPersistSeq = output.seq;
        this.write(output.seq, output.write);
        return;
      case 'accepted': {
        const waiting = this.commands?.byRequest.get(output.id);
        if (waiting === undefined) return;
        waiting.index = output.index;
        waiting.term = output.term;
        this.commands!.acceptedAt.set(output.index, output.id);
        return;
      }
      case 'apply':
        for (const entry of output.entries) this.applyEntry(entry, this.answeredBy(entry));
        return;
      default:
        this.carry(output);
    }
  }

  /** The request an entry answers here: the one accepted at its index, in its term. */
  private answeredBy(entry: Entry): number | null {
    const commands = this.commands;
    const request = commands?.acceptedAt.get(entry.index);
    if (request === undefined) return null;
    commands!.acceptedAt.delete(entry.index);
    const waiting = commands!.byRequest.get(request);
    this.forgetCommand(request);
    if (waiting === undefined) return null;
    if (waiting.term === entry.term) return request;
    this.overwritten(request);
    return null;
  }

  private releaseHeld(): void {
    if (this.held === null) return;
    const durable = this.member.durableSeq;
    const ready = this.held.filter((held) => held.seq <= durable);
    const waiting = this.held.filter((held) => held.seq > durable);
    this.held = waiting.length === 0 ? null : waiting;
    for (const held of ready) this.send(held.to, held.message);
  }

  private send(to: NodeId, message: Message): void {
    this.watch?.observer.sent(this.watch.group, this.member, to, message);
    this.transmit(to, message);
  }
}
