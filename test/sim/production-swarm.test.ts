// The simulator (production nodes) as CI runs it: a fixed batch of seeds through its command line
// (what an installed package runs), every coverage counter reached, and one seed's trace twice.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterCoverageNames } from '../../sim/cluster/run-cluster-seed.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'sim', 'cluster', 'cli.js');

function sim(...args: string[]): string {
  const run = spawnSync(process.execPath, [cli, '--quiet', ...args], { encoding: 'utf8', timeout: 300_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe('the production-node simulation', () => {
  it('passes the fixed CI batch of 150 seeds, reaching every coverage counter', () => {
    const stdout = sim('--seeds', '150', '--seed', '1');
    expect(stdout.trim().split('\n').at(-1)).toBe('150 passed, 0 failed');
    for (const name of clusterCoverageNames) expect(stdout).toMatch(new RegExp(`${name}=[1-9]`));
  });

  it('passes a batch of 30 seeds on five nodes', () => {
    expect(sim('--seeds', '30', '--seed', '1', '--nodes', '5').trim().split('\n').at(-1)).toBe(
      '30 passed, 0 failed',
    );
  });

  it('prints the same trace hash when the same seeds run twice', () => {
    const hash = (stdout: string) => /trace hash: ([0-9a-f]{16})/.exec(stdout)?.[1];
    const first = hash(sim('--seeds', '30', '--seed', '500'));
    expect(first).toBeDefined();
    expect(hash(sim('--seeds', '30', '--seed', '500'))).toBe(first);
  });

  it('gives different seeds different traces', () => {
    const trace = (seed: string) =>
      /seed \d+ trace ([0-9a-f]{16})/.exec(sim('--seeds', '1', '--seed', seed))?.[1];
    const three = trace('3');
    expect(three).toBeDefined();
    expect(trace('4')).not.toBe(three);
  });

  it('rejects bad arguments with a message and no run', () => {
    for (const [args, message] of [
      [['--nodes', '4'], '--nodes must be 3 or 5'],
      [['--seeds', '0'], '--seeds must be a positive integer, got 0'],
    ] as const) {
      const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    }
  });

  it('passes the seeds that once failed, pinned here for good', () => {
    // 147, 183: a quiet follower waited for ever on a leader whose node restarted with a wiped
    // disk, because nothing said the node had been down (TcpTransport now does; see
    // test/runtime/tcp/restart-news.test.ts).
    // 929, 1153: a member stopped and started again while its writes were being synced failed
    // on the log's report of the old member's write (actors/write-sequences.ts); both fail
    // without it.
    // 1300: a group re-created after a delete, whose creation reached one founder only (its
    // node had been paused), was declared again and its other members made empty: the lone
    // founder could never be elected (runtime/group-creation.ts now makes them founders).
    // 994: a member deleted, its node killed before the delete was synced, came back holding
    // the old group's data, which the member created under the name took as its own (deletes
    // are now durable before deleteGroup answers, and an identity recorded begins an empty member).
    // 263, 433, 527: a restartGroup racing a deleteGroup reopened the member after it was
    // deleted (runtime/local-members.ts now makes one change at a time per group).
    // 677, 736, 934: a createGroup killed after only its own member was made left a lone
    // founder that could never be elected; 984: the same with a founder whose identity was
    // synced but not its founding data (such a group, never led, is now discarded and founded
    // afresh); 6378, 7800: the same with such a founder stopped (its stored term is asked now).
    // 8633: a node paused past its peers' patience was asked to createGroup; its call to a peer
    // that had closed the connection was lost, and the simulated network never told the sleeper
    // the connection had closed (over TCP it finds it closed on waking; now so here too).
    // 88: a rolling upgrade moved a group to the new version while the member replacing a
    // wiped one, still a non-voter waiting to be promoted, ran the old code; once promoted, it
    // could not apply (actors/machine-versions.ts now waits for members being promoted too).
    // 818, 1886: every node ran the new version, yet the group stayed at the old one: a leader
    // proposed the version once, and never again after the entry was lost with a change of
    // leader (818) or the proposal was refused during a leadership transfer (1886).
    // 8364, 8426 (50,000-seed run): a member failed with its shard was opened again by a
    // createGroup declaring it, but its peers were never told it was back: the quiet leader,
    // which had marked it down, never sent it anything (runtime/local-members.ts tells them now).
    // 852 (membership workload): a caller was told another command's result: a peer
    // answers by node name, and an answer meant for a call of the node's previous process
    // settled the new process's call of the same id (runtime/pending-calls.ts: ids now start
    // at a random point per process). 1996: a quiet leader removed itself; its followers kept
    // trusting it, their failure detector reporting its node up, and voted for no one
    // (raft/election.ts: the lease holds only for a leader the configuration names a voter).
    // 3826 (50,000-seed run at 9993b05): the same, with a follower whose log was ahead of the
    // candidate's: it refused the vote and, quiet, never stood itself (raft/quiescence.ts: a
    // follower is quiet only while its leader is a voter of its configuration).
    // 322 failed alike ("no leader answered after healing") and passes since these two fixes,
    // with either one taken out too: not told apart which it was.
    // 564: a leader committed an entry acknowledged by a member deleted since (the
    // commit check counts a member's erased data as held: the delete was asked for).
    // 631 (with concurrent membership changes): the leader of a quiet group refused, answer
    // after answer, to replace a wiped node's old identity, the other voter not heard within an
    // election timeout; the new member stayed empty (raft/membership.ts: a replacement costs no
    // quorum and is never refused so).
    for (const seed of [
      147, 183, 929, 1153, 1300, 994, 263, 433, 527, 677, 736, 934, 984, 6378, 7800, 564, 8633, 88, 818, 1886,
      8364, 8426, 852, 1996, 3826, 322, 631,
    ])
      expect(sim('--seeds', '1', '--seed', String(seed))).toContain('1 passed, 0 failed');
    // Five nodes, 32 and 357: a replacement accepted by a leader since deposed was overwritten,
    // and the new leader never replaced the old identity, because the new member had begun a
    // snapshot (it was no longer stalled) and answered heartbeats, not appends, after the first.
    for (const seed of [32, 357])
      expect(sim('--seeds', '1', '--seed', String(seed), '--nodes', '5')).toContain('1 passed, 0 failed');
  });
});
