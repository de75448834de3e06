// State machines: what a user writes (defineMachine) and how a shard loads one by module URL.
// Machines are pure functions of (meta, command, state); what they want done comes back as
// effects, which the group's leader performs once the entry is applied.
import { badArgument, FlotillaError } from './errors.js';

export interface ApplyMeta {
  readonly index: number;
  readonly term: number;
  /** The leader's clock (ms since the epoch) when it appended the entry. */
  readonly time: number;
  /**
   * The machine version the group applies this entry under: the same on every member, whatever
   * code it runs. Code of a newer version keeps the older semantics for entries of older versions.
   */
  readonly version: number;
}

/** A node, or one mailbox on it, that a machine can send to or monitor. */
export interface Target {
  readonly node: string;
  readonly mailbox?: string;
}

export type Effect =
  | { readonly type: 'send'; readonly node: string; readonly mailbox: string; readonly message: unknown }
  | { readonly type: 'monitor'; readonly target: Target }
  | { readonly type: 'demonitor'; readonly target: Target }
  /** Fires `{ kind: 'timeout', name }` through the log after `milliseconds`; null cancels it. */
  | { readonly type: 'timer'; readonly name: string; readonly milliseconds: number | null }
  /** The log up to `index` may be replaced by a snapshot of `state`. */
  | { readonly type: 'releaseCursor'; readonly index: number; readonly state: unknown };

/** What the runtime itself puts through a group's log: every member sees it at the same index. */
export type SystemEvent =
  | { readonly kind: 'down'; readonly target: Target; readonly reason: 'nodeDown' | 'mailboxGone' }
  | { readonly kind: 'timeout'; readonly name: string };

export interface ApplyResult<S, R> {
  readonly state: S;
  readonly reply?: R;
  readonly effects?: readonly Effect[];
}

export type MachineRole = 'leader' | 'follower' | 'candidate';

export interface Machine<S = unknown, C = unknown, R = unknown> {
  init(config: unknown): S;
  apply(meta: ApplyMeta, command: C, state: S): ApplyResult<S, R>;
  /** System events (a monitored target went down, a timer fired); without it they change nothing. */
  system?(meta: ApplyMeta, event: SystemEvent, state: S): ApplyResult<S, R>;
  queries?: Readonly<Record<string, (state: S, arg: unknown) => unknown>>;
  stateEnter?(role: MachineRole, state: S): readonly Effect[] | undefined;
  /**
   * The newest machine version this code supports (a non-negative integer, 0 if absent). A group
   * moves to a newer version through its log once every voter runs code that supports it.
   */
  version?: number;
  /** Called on every member where the group moves from `fromVersion` to a newer one: the state under the new version. */
  upgrade?(fromVersion: number, state: S): S;
}

/** Checks a machine's shape and returns it, typed. */
export function defineMachine<S, C = unknown, R = unknown>(machine: Machine<S, C, R>): Machine<S, C, R> {
  if (typeof machine !== 'object' || machine === null) throw badArgument('a machine must be an object');
  for (const name of ['init', 'apply'] as const) {
    if (typeof machine[name] !== 'function') throw badArgument(`a machine needs an ${name} function`);
  }
  if (machine.version !== undefined && !(Number.isSafeInteger(machine.version) && machine.version >= 0))
    throw badArgument("a machine's version is a non-negative integer");
  for (const name of ['system', 'stateEnter', 'upgrade'] as const) {
    if (machine[name] !== undefined && typeof machine[name] !== 'function')
      throw badArgument(`a machine's ${name} must be a function`);
  }
  for (const [name, query] of Object.entries(machine.queries ?? {})) {
    if (typeof query !== 'function') throw badArgument(`query ${name} must be a function`);
  }
  return machine;
}

const loaded = new Map<string, Promise<Machine>>();

/** The machine a module exports by default (or as `machine`), loaded once per thread. */
export function loadMachine(moduleUrl: string): Promise<Machine> {
  let machine = loaded.get(moduleUrl);
  if (machine === undefined) {
    machine = import(moduleUrl).then(
      (module: { default?: unknown; machine?: unknown }) =>
        defineMachine((module.default ?? module.machine) as Machine),
      (error: unknown) => {
        loaded.delete(moduleUrl);
        throw new FlotillaError('BAD_ARGUMENT', `cannot load machine ${moduleUrl}: ${String(error)}`);
      },
    );
    loaded.set(moduleUrl, machine);
  }
  return machine;
}
