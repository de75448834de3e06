// The examples, run as a user runs them (the built files, in their own process), with what
// they print checked.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`dist/examples/${name}/main.js`], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout;
}

describe('examples', () => {
  it('quick-start adds to the counter across three nodes and reads it back consistently', async () => {
    const output = await example('quick-start');
    expect(output).toContain('added 5: total 5');
    expect(output).toContain('added 27: total 42');
    expect(output).toMatch(/consistent read: 42 \(leader [abc]\)/);
  });

  it('queue settles every job, returning those of a consumer that went away, with its log released', async () => {
    const output = await example('queue');
    expect(output).toContain('worker on c settled 7; the consumer on b holds 1, 2, 3');
    expect(output).toContain('after the consumer on b went away: 10 settled, 0 waiting');
    const log = /log: (\d+) entries after snapshot (\d+)/.exec(output);
    expect(Number(log?.[2])).toBeGreaterThan(0);
    expect(Number(log?.[1])).toBeLessThanOrEqual(8);
  });
});
