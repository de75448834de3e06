// WAL files on disk: their names (a generation number each, so order is the name order), listing
// them, and the one file being appended to.
import { closeSync, fdatasync, fsyncSync, openSync, readdirSync, write } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WalFileName {
  readonly generation: number;
  readonly path: string;
}

const pattern = /^wal-(\d{10})\.log$/;

export function walFilePath(directory: string, generation: number): string {
  return join(directory, `wal-${String(generation).padStart(10, '0')}.log`);
}

/** The WAL files in `directory`, oldest first. */
export function listWalFiles(directory: string): WalFileName[] {
  const files: WalFileName[] = [];
  for (const name of readdirSync(directory)) {
    const match = pattern.exec(name);
    if (match !== null) files.push({ generation: Number(match[1]), path: join(directory, name) });
  }
  return files.sort((a, b) => a.generation - b.generation);
}

export class WalFile {
  size = 0;
  private readonly fd: number;

  constructor(
    readonly generation: number,
    readonly path: string,
  ) {
    this.fd = openSync(path, 'a');
    // The new file's name must survive a crash as surely as the records later synced into it.
    const directory = openSync(dirname(path), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  }

  /** Writes `length` bytes of `buffer` at the end, then (with `sync`) makes them durable. */
  append(buffer: Buffer, length: number, sync: boolean, done: (error: Error | null) => void): void {
    write(this.fd, buffer, 0, length, null, (error, written) => {
      if (error !== null) return done(error);
      if (written !== length)
        return done(new Error(`short write to ${this.path}: ${written} of ${length} bytes`));
      this.size += length;
      if (!sync) return done(null);
      fdatasync(this.fd, (syncError) => done(syncError));
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}
