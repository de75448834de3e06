// The simulated clients' state machine: a key-value register per key, with client sessions so a
// retried command (same client, same sequence number) is applied at most once.

export type KvCommand =
  | {
      readonly client: number;
      readonly seq: number;
      readonly op: 'put';
      readonly key: string;
      readonly value: string;
    }
  | { readonly client: number; readonly seq: number; readonly op: 'noop' };

interface Session {
  readonly seq: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class KvMachine {
  readonly values = new Map<string, string>();
  readonly sessions = new Map<number, Session>();

  /** Applies a command; a duplicate of an already applied one changes nothing. */
  apply(command: KvCommand): void {
    const session = this.sessions.get(command.client);
    if (session !== undefined && command.seq <= session.seq) return;
    this.sessions.set(command.client, { seq: command.seq });
    if (command.op === 'put') this.values.set(command.key, command.value);
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  encode(): Uint8Array {
    return encoder.encode(JSON.stringify({ values: [...this.values], sessions: [...this.sessions] }));
  }

  static decode(data: Uint8Array): KvMachine {
    const machine = new KvMachine();
    if (data.byteLength === 0) return machine;
    const parsed = JSON.parse(decoder.decode(data)) as {
      values: [string, string][];
      sessions: [number, Session][];
    };
    for (const [key, value] of parsed.values) machine.values.set(key, value);
    for (const [client, session] of parsed.sessions) machine.sessions.set(client, session);
    return machine;
  }
}

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}
