// Bugs planted in the core, in the host that carries out its outputs, and in the node above it,
// one at a time, to show the simulator's checks catch them through production nodes
// (npm run sim:bugs). Each is a single textual change to one file; a change that no longer
// applies fails loudly.

export interface PlantedBug {
  readonly name: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  /** Nodes per cluster when --nodes is not given: a scenario may need more than three. */
  readonly nodes?: number;
}

/** The source of `bug.file` with the bug planted; throws when the text it changes is not there exactly once. */
export function plantBug(bug: PlantedBug, source: string): string {
  if (source.split(bug.find).length !== 2)
    throw new Error(`bug "${bug.name}" no longer applies to ${bug.file}`);
  return source.replace(bug.find, bug.replace);
}

export const plantedBugs: readonly PlantedBug[] = [
  {
    name: 'commit an old-term entry by counting replicas (Figure 8)',
    file: 'raft/commit.ts',
    find: 'if (index <= member.commit || member.log.termAt(index) !== member.term) return false;',
    replace: 'if (index <= member.commit) return false;',
    // Figure 8 is a five-server story: it needs tails of several terms left on different
    // minorities (leaders cut off, with a companion, as they append).
    nodes: 5,
  },
  {
    name: 'grant a vote without making it durable',
    file: 'raft/election.ts',
    find: 'member.vote = from;\n    member.persistTermAndVote();',
    replace: 'member.vote = from;',
  },
  {
    name: 'keep a conflicting suffix instead of truncating it',
    file: 'raft/follower.ts',
    find: 'log.truncateFrom(entry.index);\n      member.forgetFrom(entry.index);\n      break;',
    replace: 'position += 1;\n      continue;',
  },
  {
    name: 'answer a read-index without a heartbeat quorum',
    file: 'raft/read-index.ts',
    find: 'node === member.id ? true : (member.progress.get(node)?.ackedSeq ?? 0) >= round.seq,',
    replace: 'node === node,',
  },
  {
    name: 'allow a second membership change while one is uncommitted',
    file: 'raft/membership.ts',
    find: 'if (member.commit < member.termStartIndex || member.log.configIndex > member.commit) return',
    replace: 'if (member.commit < member.termStartIndex) return',
    // Two single-server changes whose quorums miss each other need five voters: with three,
    // the one member left by two removals leaves nobody else a quorum.
    nodes: 5,
  },
  {
    name: 'leader counts its own entries before they are durable',
    file: 'raft/commit.ts',
    find: 'node === member.id ? member.durableIndex :',
    replace: 'node === member.id ? member.log.lastIndex :',
  },
  {
    name: 'follower acknowledges entries before they are durable',
    file: 'raft/follower.ts',
    find: 'if (firstWritten === null && (message.entries.length > 0 || message.probe))\n    acknowledge(member, from, Math.min(member.durableIndex, member.matched));',
    replace: 'acknowledge(member, from, member.matched);',
  },
  {
    name: 'host sends a vote or an acknowledgement before the write it depends on is durable',
    file: 'actors/core-host.ts',
    find: 'if (output.sync && this.lastPersistSeq > this.member.durableSeq) {',
    replace: 'if (output.sync && this.lastPersistSeq < 0) {',
  },
  {
    name: 'host answers a caller whose entry was overwritten as if it had applied',
    file: 'actors/core-host.ts',
    find: 'if (waiting.term === entry.term) return request;',
    replace: 'if (waiting.term === entry.term || waiting.term !== entry.term) return request;',
  },
  {
    name: 'keep the state a machine returned with a bad effect or reply',
    file: 'actors/machine-application.ts',
    find: '  if (!checked.ok) {\n    machineFailed(host, request, tag === 1, checked.problem);',
    replace:
      '  if (!checked.ok) {\n    host.state = (returned as { state: unknown }).state;\n    machineFailed(host, request, tag === 1, checked.problem);',
  },
  {
    name: 'run effects on followers too',
    file: 'actors/machine-application.ts',
    find: "} else if (member.role === 'leader' && term === member.term) {",
    replace: '} else {',
  },
  {
    name: 'leader applies a command, and answers its caller, once it has appended it',
    file: 'actors/core-host.ts',
    find: "this.commands!.acceptedAt.set(output.index, output.id);\n        return;\n      }\n      case 'apply':\n        for (const entry of output.entries) this.applyEntry(entry, this.answeredBy(entry));",
    replace:
      "this.commands!.acceptedAt.set(output.index, output.id);\n        const early = this.member.log.entryAt(output.index)!;\n        this.applyEntry(early, this.answeredBy(early));\n        return;\n      }\n      case 'apply':\n        for (const entry of output.entries) if (!(this.member.role === 'leader' && entry.term === this.member.term && entry.kind === 'command')) this.applyEntry(entry, this.answeredBy(entry));",
  },
  {
    name: 'apply entries under the version the code supports, not the log',
    file: 'actors/machine-application.ts',
    find: 'version: host.effectiveVersion };',
    replace: 'version: host.machine.version ?? 0 };',
  },
  {
    name: 'found a group afresh on a node whose disk was wiped',
    file: 'runtime/group-creation.ts',
    find: 'const founding = held ? foundingOf(prepared) : newFounding(record, prepared);',
    replace: 'const founding = newFounding(record, prepared);',
  },
];
