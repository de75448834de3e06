// The benchmarks' CPU reading from /proc: this process's threads and main thread, and another
// process's, each grows by the work done.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuSince, cpuTimes } from '../../bench/cpu.js';

/** Keeps this thread busy until the process has used `us` more µs of CPU. */
function spin(us: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= us) return;
  }
}

describe('cpuTimes', () => {
  it("counts this process's work, all of it on its main thread", () => {
    const before = cpuTimes();
    spin(60_000);
    const used = cpuSince(before, cpuTimes());
    expect(used.allUs).toBeGreaterThanOrEqual(60_000);
    expect(used.mainUs).toBeGreaterThanOrEqual(50_000);
    // Other threads (the collector's) may add to the whole, never to the main thread's share.
    expect(used.mainUs).toBeLessThanOrEqual(used.allUs + 10_000);
  });

  it("adds another process's CPU, read from /proc by its PID", async () => {
    const script = [
      'const start = process.cpuUsage();',
      'for (;;) { const u = process.cpuUsage(start); if (u.user + u.system >= 300000) break; }',
      "process.stdout.write('ready\\n');",
      'setTimeout(() => {}, 20000);',
    ].join('\n');
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout!, 'data');
      const own = cpuTimes();
      const both = cpuTimes([child.pid!]);
      // /proc/PID/stat counts in 10 ms ticks.
      expect(both.allUs - own.allUs).toBeGreaterThanOrEqual(280_000);
      expect(both.mainUs - own.mainUs).toBeGreaterThanOrEqual(250_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
