// The groups with a member on this node, persisted so a restart brings every one of them back.
// One LMDB environment beside the WAL; writes are batched by lmdb-js into one transaction a turn.
import { open, type RootDatabase } from 'lmdb';

export interface GroupRecord {
  readonly name: string;
  readonly module: string;
  readonly config: unknown;
  /** The founding members, as given to createGroup. */
  readonly members: readonly string[];
  readonly stopped: boolean;
  /**
   * For a member created as one of the group's founders: the founders' identities and the
   * machine version they began at, so that a founder whose creation never reached it can still
   * be made one (group-creation.ts).
   */
  readonly founding?: Founding;
}

export interface Founding {
  readonly members: readonly string[];
  readonly version: number;
}

/** The groups a node holds, whatever keeps them: LMDB on disk, or the simulator's disk. */
export interface GroupDirectory {
  get(name: string): GroupRecord | undefined;
  all(): IterableIterator<GroupRecord>;
  readonly size: number;
  put(record: GroupRecord): Promise<void>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/** The records in memory, where reads find them; Directory keeps them in LMDB too. */
export class MemoryDirectory implements GroupDirectory {
  constructor(protected readonly records = new Map<string, GroupRecord>()) {}

  get(name: string): GroupRecord | undefined {
    return this.records.get(name);
  }

  all(): IterableIterator<GroupRecord> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }

  /** Resolves once the record is durable. */
  async put(record: GroupRecord): Promise<void> {
    this.records.set(record.name, record);
    await this.store(record.name, record);
  }

  async remove(name: string): Promise<void> {
    this.records.delete(name);
    await this.store(name, undefined);
  }

  async close(): Promise<void> {}

  /** Makes a change durable: nothing to do for records that live in memory only. */
  protected async store(_name: string, _record: GroupRecord | undefined): Promise<void> {}
}

export class Directory extends MemoryDirectory {
  private readonly database: RootDatabase<GroupRecord, string>;

  constructor(path: string) {
    super();
    this.database = open<GroupRecord, string>({
      path,
      encoding: 'msgpack',
      compression: false,
      overlappingSync: false,
    });
    for (const { key, value } of this.database.getRange()) this.records.set(key, value);
  }

  override close(): Promise<void> {
    return this.database.close();
  }

  protected override async store(name: string, record: GroupRecord | undefined): Promise<void> {
    if (record === undefined) await this.database.remove(name);
    else await this.database.put(name, record);
  }
}
