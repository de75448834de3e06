// raft/ must stay pure: no I/O, no clock, no randomness, no timers, nothing asynchronous, and no
// import from outside itself. The scanner is tested on planted violations so it cannot pass vacuously.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const forbidden: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: 'import from outside raft/', pattern: /\bfrom\s+['"](?!\.\/)[^'"]*['"]/ },
  { name: 'dynamic import or require', pattern: /\bimport\s*\(|\brequire\s*\(/ },
  { name: 'clock', pattern: /\bDate\b|\bperformance\b|\bprocess\b|\bhrtime\b/ },
  { name: 'randomness', pattern: /\bMath\.random\b|\bcrypto\b|\bgetRandomValues\b/ },
  { name: 'timer', pattern: /\bset(Timeout|Interval|Immediate)\b|\bqueueMicrotask\b/ },
  { name: 'asynchrony', pattern: /\bPromise\b|\basync\b|\bawait\b/ },
  { name: 'I/O or global escape hatch', pattern: /\bfetch\b|\bglobalThis\b|\bconsole\b|\bBuffer\b/ },
];

/** Violations in one source text, ignoring comments. */
function impurities(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return forbidden.filter((rule) => rule.pattern.test(code)).map((rule) => rule.name);
}

const raftDirectory = join(import.meta.dirname, '..', '..', 'raft');

describe('the raft core is pure', () => {
  const files = readdirSync(raftDirectory).filter((file) => file.endsWith('.ts'));

  it('finds the core sources to scan', () => {
    expect(files).toContain('step.ts');
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s does no I/O and reads no clock or randomness', (file) => {
    expect(impurities(readFileSync(join(raftDirectory, file), 'utf8'))).toEqual([]);
  });

  it.each([
    ["import { readFileSync } from 'node:fs';", 'import from outside raft/'],
    ["import { Prng } from '../sim/prng.js';", 'import from outside raft/'],
    ['const now = Date.now();', 'clock'],
    ['const t = performance.now();', 'clock'],
    ['const jitter = Math.random();', 'randomness'],
    ['setTimeout(() => undefined, 10);', 'timer'],
    ['export async function step() {}', 'asynchrony'],
    ["const fs = require('fs');", 'dynamic import or require'],
    ["await import('node:fs');", 'dynamic import or require'],
  ])('flags a planted violation: %s', (source, rule) => {
    expect(impurities(source)).toContain(rule);
  });

  it('does not flag the same words inside comments', () => {
    expect(impurities('// Date.now() would break replay\n/* Math.random() */\nconst x = 1;')).toEqual([]);
  });
});
