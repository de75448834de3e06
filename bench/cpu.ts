// CPU time of node processes, whole and their main thread alone, read from /proc (Linux): a
// benchmark divides them by its commands for µs per command. The main thread's share decides
// whether worker-thread shards scale, so it is measured apart.
import { readFileSync } from 'node:fs';

/** CPU time used so far, in µs: every thread of the processes, and their main threads. */
export interface CpuTimes {
  readonly allUs: number;
  readonly mainUs: number;
}

/** /proc/PID/stat counts user and system time in these (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User plus system time of every thread process `pid` has run (those ended too), in µs. */
function processUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: fields are counted after it, from state (3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / ticksPerSecond;
}

/** Time on a CPU of process `pid`'s main thread, in µs (schedstat counts nanoseconds). */
function mainThreadUs(pid: number): number {
  const schedstat = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8');
  return Number(schedstat.split(' ')[0]) / 1000;
}

/** CPU used so far by this process and the processes `pids`. */
export function cpuTimes(pids: readonly number[] = []): CpuTimes {
  const own = process.cpuUsage();
  let allUs = own.user + own.system;
  let mainUs = mainThreadUs(process.pid);
  for (const pid of pids) {
    allUs += processUs(pid);
    mainUs += mainThreadUs(pid);
  }
  return { allUs, mainUs };
}

/** What was used between two readings. */
export function cpuSince(before: CpuTimes, after: CpuTimes): CpuTimes {
  return { allUs: after.allUs - before.allUs, mainUs: after.mainUs - before.mainUs };
}
