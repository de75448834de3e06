// A WAL writer for crash tests, run as a child process and killed with SIGKILL at a random moment.
// Usage: node crash-writer.mjs DIR GROUPS SEED. It reopens DIR (recovering it), then appends from
// GROUPS groups as fast as the log takes them, with truncations, state changes and snapshots
// mixed in, and prints "D group lastIndex lastTerm term" each time a group's writes are durable.
// Every entry's data is derived from (group, index, term), so a reader can check it is intact.
import { SharedLog } from '../../dist/wal/index.js';

const [directory, groupCount, seedText] = process.argv.slice(2);
let random = Number(seedText) >>> 0 || 1;
function next() {
  random ^= random << 13;
  random ^= random >>> 17;
  random ^= random << 5;
  random >>>= 0;
  return random / 0x100000000;
}

export function entryData(group, index, term) {
  const data = new Uint8Array(100);
  data.set(new TextEncoder().encode(`${group}:${index}:${term}`));
  return data;
}

const states = new Map();
const pending = new Map();
let drained = null;
const log = await SharedLog.open({
  directory,
  rolloverBytes: 256 * 1024,
  maxBacklogBytes: 2 * 1024 * 1024,
  onDurable(reports) {
    const lines = [];
    for (const [group, seq] of reports) {
      const snapshots = pending.get(group);
      let reported;
      while (snapshots.length > 0 && snapshots[0].seq <= seq) reported = snapshots.shift();
      if (reported !== undefined)
        lines.push(`D ${group} ${reported.last} ${reported.lastTerm} ${reported.term}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
  onDrain() {
    drained?.();
  },
});

for (let index = 0; index < Number(groupCount); index += 1) {
  const group = `group-${index}`;
  const stored = log.load(group);
  const last = stored?.entries.at(-1);
  const state = {
    seq: 0,
    last: last?.index ?? stored?.snapshot?.index ?? 0,
    lastTerm: last?.term ?? stored?.snapshot?.term ?? 0,
    term: stored?.term ?? 0,
    snapshot: stored?.snapshot?.index ?? 0,
  };
  states.set(group, state);
  pending.set(group, []);
  if (state.term === 0) {
    // Like a member's first election: the term is written before any entry of it.
    state.term = 1;
    write(group, state, { kind: 'state', term: 1, vote: null, commit: 0 });
  }
}
process.stdout.write('READY\n');

function entries(group, from, count, term) {
  return Array.from({ length: count }, (_, offset) => ({
    index: from + offset,
    term,
    kind: 'command',
    data: entryData(group, from + offset, term),
    config: null,
    time: 0,
  }));
}

function write(group, state, body) {
  state.seq += 1;
  const ok = log.write(group, state.seq, body);
  pending.get(group).push({ seq: state.seq, last: state.last, lastTerm: state.lastTerm, term: state.term });
  return ok;
}

for (;;) {
  let open = true;
  for (const [group, state] of states) {
    if (next() < 0.5) continue;
    const roll = next();
    if (roll < 0.85 || state.last < 3) {
      const count = 1 + Math.floor(next() * 5);
      const from = state.last + 1;
      state.last += count;
      state.lastTerm = state.term;
      open =
        write(group, state, { kind: 'entries', from, entries: entries(group, from, count, state.term) }) &&
        open;
    } else if (roll < 0.9 && state.last - 2 > state.snapshot) {
      // As in Raft, a conflicting suffix only ever lies above the snapshot.
      state.term += 1;
      write(group, state, { kind: 'state', term: state.term, vote: null, commit: 0 });
      const from = state.last - 2;
      state.lastTerm = state.term;
      open =
        write(group, state, { kind: 'entries', from, entries: entries(group, from, 3, state.term) }) && open;
    } else if (roll < 0.95) {
      open =
        write(group, state, { kind: 'state', term: state.term, vote: 'n1', commit: state.last - 1 }) && open;
    } else if (roll >= 0.95) {
      state.snapshot = state.last - 1;
      const snapshot = {
        index: state.last - 1,
        term: state.term,
        config: { voters: ['n1'], nonVoters: [], promote: [] },
        data: new Uint8Array(64),
      };
      snapshot.term = state.lastTerm;
      open = write(group, state, { kind: 'snapshot', snapshot, keepLaterEntries: true }) && open;
    }
  }
  if (!open) await new Promise((resolve) => (drained = resolve));
  else await new Promise((resolve) => setImmediate(resolve));
}
