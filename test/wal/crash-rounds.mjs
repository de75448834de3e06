// Crash rounds for the shared log: start crash-writer.mjs, kill it with SIGKILL at a random moment,
// reopen the log and check that everything reported durable is there, intact, and that nothing
// torn or invented appears. Every third round also leaves a torn write at the tail of the last
// WAL file; every third flips a bit in a copy of the directory, which must then either open with
// everything durable intact or refuse with an error naming the file and offset, never lose data.
// Flips spare the last record of the last file: damage there cannot be told from a torn write. Used by crash.test.ts (50 rounds) and, for long runs, as a script:
//   npm run wal:crash -- --rounds 2000
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SharedLog } from '../../dist/wal/index.js';
import { readRecord } from '../../dist/wal/record.js';

const writer = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url));

function entryData(group, index, term) {
  const data = new Uint8Array(100);
  data.set(new TextEncoder().encode(`${group}:${index}:${term}`));
  return data;
}

/** Runs the writer until it has been killed; returns the last durable report of each group. */
async function killedWriter(directory, groups, seed, killAfterMs) {
  const child = spawn(process.execPath, [writer, directory, String(groups), String(seed)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reports = new Map();
  let buffered = '';
  let ready;
  const readySeen = new Promise((resolve) => (ready = resolve));
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (line === 'READY') ready();
      const [kind, group, last, lastTerm, term] = line.split(' ');
      if (kind === 'D')
        reports.set(group, { last: Number(last), lastTerm: Number(lastTerm), term: Number(term) });
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const early = await Promise.race([readySeen.then(() => null), exited]);
  if (early !== null) throw new Error(`crash writer exited before it was ready: ${JSON.stringify(early)}`);
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  child.kill('SIGKILL');
  const { signal } = await exited;
  if (signal !== 'SIGKILL') throw new Error(`crash writer ended by itself (${signal})`);
  return reports;
}

/** Problems in what the reopened log holds, given what was reported durable before the kill. */
export function verify(log, reports) {
  const problems = [];
  for (const [group, report] of reports) {
    const stored = log.load(group);
    if (stored === undefined) {
      problems.push(`${group}: reported durable up to ${report.last} but missing entirely`);
      continue;
    }
    let expected = (stored.snapshot?.index ?? 0) + 1;
    for (const entry of stored.entries) {
      if (entry.index !== expected) problems.push(`${group}: gap, ${entry.index} after ${expected - 1}`);
      expected = entry.index + 1;
      const data = entryData(group, entry.index, entry.term);
      if (Buffer.compare(Buffer.from(entry.data), Buffer.from(data)) !== 0) {
        problems.push(`${group}: entry ${entry.index} of term ${entry.term} is not intact`);
      }
    }
    const lastIndex = stored.entries.at(-1)?.index ?? stored.snapshot?.index ?? 0;
    if (lastIndex < report.last)
      problems.push(`${group}: reported durable up to ${report.last}, recovered up to ${lastIndex}`);
    const at = stored.entries.find((entry) => entry.index === report.last);
    if (at !== undefined && at.term < report.lastTerm) {
      problems.push(
        `${group}: entry ${report.last} has term ${at.term}, below the durable ${report.lastTerm}`,
      );
    }
    if (stored.term < report.term)
      problems.push(`${group}: term ${stored.term} below the durable ${report.term}`);
  }
  return problems;
}

function walFiles(directory) {
  const wal = join(directory, 'wal');
  return readdirSync(wal)
    .sort()
    .map((name) => join(wal, name));
}

/** A write cut short: the first bytes of a record, never the whole of one, as a crash mid-write leaves them. */
function tearTail(directory, random) {
  const last = walFiles(directory).at(-1);
  if (last === undefined) return;
  const bytes = readFileSync(last);
  const starts = recordStarts(bytes);
  if (starts.length === 0) return;
  const start = starts[random % starts.length];
  const length = bytes.readUInt32LE(start);
  appendFileSync(last, bytes.subarray(start, start + 1 + (random % (length - 1))));
}

function recordStarts(bytes) {
  const starts = [];
  let offset = 0;
  for (let outcome = readRecord(bytes, 0); outcome.kind === 'record'; outcome = readRecord(bytes, offset)) {
    starts.push(offset);
    offset = outcome.record.end;
  }
  return starts;
}

function lastRecordStart(bytes) {
  return recordStarts(bytes).at(-1) ?? 0;
}

/** Opens a copy of the directory with one bit flipped; returns problems (a clear refusal is none). */
async function checkBitFlip(directory, reports, random) {
  const files = walFiles(directory).filter((file) => readFileSync(file).byteLength > 0);
  if (files.length === 0) return [];
  const copy = mkdtempSync(join(tmpdir(), 'flotilla-wal-flip-'));
  try {
    cpSync(directory, copy, { recursive: true });
    const candidates = walFiles(copy).filter((file) => readFileSync(file).byteLength > 0);
    const target = candidates[random % candidates.length];
    const bytes = readFileSync(target);
    const span = target === candidates.at(-1) ? lastRecordStart(bytes) : bytes.byteLength;
    if (span === 0) return [];
    const offset = random % span;
    bytes.writeUInt8(bytes.readUInt8(offset) ^ (1 << (random % 8)), offset);
    writeFileSync(target, bytes);
    let log;
    try {
      log = await SharedLog.open({ directory: copy, onDurable() {} });
    } catch (error) {
      return /corrupt WAL record in .+ at offset \d+/.test(String(error))
        ? []
        : [`bit flip: unclear refusal: ${error}`];
    }
    try {
      return verify(log, reports).map((problem) => `bit flip at ${offset} of ${target}: ${problem}`);
    } finally {
      await log.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Runs `rounds` kill-and-recover rounds on one directory; returns counts and problems. */
export async function runCrashRounds({ rounds, groups = 200, seed = 1, onRound = () => {} }) {
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-wal-crash-'));
  let random = seed >>> 0 || 1;
  const problems = [];
  let durableReports = 0;
  try {
    for (let round = 1; round <= rounds; round += 1) {
      random = (Math.imul(random, 1664525) + 1013904223) >>> 0;
      const killAfter = 20 + (random % 300);
      const reports = await killedWriter(directory, groups, random, killAfter);
      durableReports += reports.size;
      if (round % 3 === 1) tearTail(directory, random);
      if (round % 3 === 2) {
        for (const problem of await checkBitFlip(directory, reports, random))
          problems.push(`round ${round}: ${problem}`);
      }
      const log = await SharedLog.open({ directory, onDurable() {} });
      try {
        for (const problem of verify(log, reports)) problems.push(`round ${round}: ${problem}`);
      } finally {
        await log.close();
      }
      onRound(round, reports.size);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return { rounds, durableReports, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' } },
  });
  const result = await runCrashRounds({
    rounds: Number(values.rounds),
    seed: Number(values.seed),
    onRound: (round) => {
      if (round % 50 === 0) process.stderr.write(`  ${round}/${values.rounds} rounds\n`);
    },
  });
  for (const problem of result.problems) console.log(problem);
  console.log(`groups reported durable across rounds: ${result.durableReports}`);
  console.log(
    `${result.rounds - new Set(result.problems.map((p) => p.split(':')[0])).size} passed, ${new Set(result.problems.map((p) => p.split(':')[0])).size} failed`,
  );
  process.exitCode = result.problems.length === 0 ? 0 : 1;
}
