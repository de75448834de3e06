// The client requests a member is answering besides commands (core-host.ts keeps those): reads
// until their read-index round completes, and leadership transfers.

/** The requests a member is answering, kept apart so an idle member holds none of these maps. */
export class Requests {
  readonly reads = new Map<number, { readonly name: string; readonly arg: unknown }>();
  readonly transfers = new Set<number>();

  get empty(): boolean {
    return this.reads.size === 0 && this.transfers.size === 0;
  }
}
