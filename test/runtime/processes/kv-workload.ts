// Clients of the KV example across many groups, each recording what it asked, when, and what it
// saw, in the form the linearizability checker reads. Puts write unique values; gets are
// consistent queries. TIMEOUT is recorded as such (it may have applied); any other error means
// the put was not applied.
import { FlotillaError, type FlotillaNode } from 'flotilla';
import type { Operation } from '../../../sim/linearizability/index.js';

export class KvWorkload {
  readonly history: Operation[] = [];
  private nextId = 0;

  constructor(
    private readonly node: FlotillaNode,
    readonly groups: readonly string[],
    private readonly keysPerGroup = 3,
  ) {}

  /** Runs `clients` clients, one operation at a time each, until `ms` have passed. */
  async run(clients: number, ms: number): Promise<void> {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let count = 0; performance.now() < end; count += 1) await this.operation(client, count);
      }),
    );
  }

  /** Operations that completed ok, by kind. */
  completed(kind: 'put' | 'get'): number {
    return this.history.filter((operation) => operation.kind === kind && operation.outcome === 'ok').length;
  }

  private async operation(client: number, count: number): Promise<void> {
    const group = this.groups[Math.floor(Math.random() * this.groups.length)]!;
    const key = `k${Math.floor(Math.random() * this.keysPerGroup)}`;
    const put = Math.random() < 0.5;
    const value = put ? `c${client}.${count}` : null;
    const invokedAt = performance.now();
    const base = {
      id: this.nextId++,
      client,
      kind: put ? 'put' : 'get',
      key: `${group}/${key}`,
      value,
      invokedAt,
    } as const;
    try {
      const result = put
        ? await this.node.command(group, { op: 'put', key, value }, { timeoutMs: 3000 })
        : await this.node.query(group, 'get', key, { consistency: 'consistent', timeoutMs: 3000 });
      this.history.push({
        ...base,
        completedAt: performance.now(),
        outcome: 'ok',
        result: put ? null : (result as string | null),
      });
    } catch (error) {
      if (!(error instanceof FlotillaError)) throw error;
      if (error.code === 'TIMEOUT')
        this.history.push({ ...base, completedAt: null, outcome: 'timeout', result: null });
      else this.history.push({ ...base, completedAt: performance.now(), outcome: 'failed', result: null });
      // A pause before the next try, as a client backs off from an unavailable group.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
