// Every limit the core enforces, each with the reason for its default beside it.

export interface Options {
  /** Base election timeout (ms); each member draws its timeout from [base, 2 × base). */
  readonly electionTimeout: number;
  /** Leader heartbeat period (ms); a fraction of the election timeout so one lost heartbeat is survivable. */
  readonly heartbeatInterval: number;
  /** Append messages in flight per follower before the leader waits for acks (pipelining depth). */
  readonly maxInflightMessages: number;
  /** Payload bytes in flight per follower: bounds the memory a slow follower can pin on the leader. */
  readonly maxInflightBytes: number;
  /** Entries per append message: a large batch amortises framing without one huge message. */
  readonly maxEntriesPerMessage: number;
  /** Payload bytes per append message. */
  readonly maxBytesPerMessage: number;
  /** Bytes per snapshot chunk: bounds message size and what a restart has to redo. */
  readonly snapshotChunkBytes: number;
  /** A follower with entries in flight and no progress for this long is probed again (lost messages). */
  readonly retransmitTimeout: number;
  /** A leadership transfer that has not finished by this long is abandoned and commands flow again. */
  readonly transferTimeout: number;
  /** Refuse votes while a leader was heard within the election timeout (check-quorum's lease). */
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  /**
   * Idle groups go quiet: a leader whose followers hold everything stops heartbeating, and a
   * follower of a live leader arms no election timer. The host's failure detector takes their
   * place, telling members through peerDown and peerUp inputs which peers it has lost.
   */
  readonly quiesce: boolean;
}

export const defaultOptions: Options = {
  electionTimeout: 1000,
  heartbeatInterval: 200,
  maxInflightMessages: 64,
  maxInflightBytes: 8 * 1024 * 1024,
  maxEntriesPerMessage: 512,
  maxBytesPerMessage: 1024 * 1024,
  snapshotChunkBytes: 256 * 1024,
  retransmitTimeout: 400,
  transferTimeout: 2000,
  checkQuorum: true,
  preVote: true,
  quiesce: false,
};

export function resolveOptions(overrides: Partial<Options> | undefined): Options {
  const options = { ...defaultOptions, ...overrides };
  if (!(options.heartbeatInterval > 0 && options.heartbeatInterval < options.electionTimeout)) {
    throw new RangeError('heartbeatInterval must be positive and below electionTimeout');
  }
  for (const key of [
    'maxInflightMessages',
    'maxInflightBytes',
    'maxEntriesPerMessage',
    'maxBytesPerMessage',
    'snapshotChunkBytes',
  ] as const) {
    if (!(Number.isInteger(options[key]) && options[key] >= 1)) {
      throw new RangeError(`${key} must be a positive integer`);
    }
  }
  return options;
}
