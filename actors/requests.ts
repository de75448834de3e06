// The client requests a member is answering: commands until their entry applies, reads until
// their read-index round completes, and leadership transfers.

export interface PendingCommand {
  readonly request: number;
  index: number;
  term: number;
}

/** The requests a member is answering, kept apart so an idle member holds none of these maps. */
export class Requests {
  readonly pending = new Map<number, PendingCommand>();
  /** Request ids by the index their entry was appended at. */
  readonly acceptedAt = new Map<number, number>();
  readonly reads = new Map<number, { readonly name: string; readonly arg: unknown }>();
  readonly transfers = new Set<number>();

  get empty(): boolean {
    return this.pending.size === 0 && this.reads.size === 0 && this.transfers.size === 0;
  }
}
