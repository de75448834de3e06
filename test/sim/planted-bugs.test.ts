// The bugs npm run sim:bugs plants are text changes to the sources: a refactor that moves the
// text they change would leave the bug run to fail at its first bug, long after the refactor landed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plantBug, plantedBugs } from '../../sim/bug-injection/bugs.js';

const root = new URL('../../', import.meta.url);

describe('planted bugs', () => {
  it.each(plantedBugs.map((bug) => [bug.name, bug] as const))('"%s" still applies to its file', (_, bug) => {
    const source = readFileSync(new URL(bug.file, root), 'utf8');
    const planted = plantBug(bug, source);
    expect(planted).not.toBe(source);
    expect(planted).toContain(bug.replace);
  });

  it('refuses a bug whose text is not in the file', () => {
    const bug = { name: 'gone', file: 'raft/commit.ts', find: 'no such text', replace: 'x' };
    expect(() => plantBug(bug, 'export {};')).toThrow('bug "gone" no longer applies to raft/commit.ts');
  });
});
