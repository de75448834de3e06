// A turn's commands for a worker shard: what the worker takes out of a lane is what went in, in
// order, crossing threads as the node posts it, and each command's bytes are its own copy, which
// a long-kept entry can hold without holding the lane.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CommandLane, type CommandLaneData, eachCommand } from '../../actors/command-lane.js';

/** `lane` moved across a port, as a worker shard's node posts it. */
function posted(lane: CommandLane): CommandLaneData {
  const data = lane.take();
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(data, [data.bytes.buffer as ArrayBuffer, data.requests.buffer, data.ends.buffer]);
  const received = receiveMessageOnPort(port2)?.message as CommandLaneData;
  port1.close();
  // Moved, not copied: the node keeps nothing of what it posted.
  expect(data.bytes.byteLength).toBe(0);
  return received;
}

function taken(data: CommandLaneData): { group: string; request: number; data: Uint8Array }[] {
  const commands: { group: string; request: number; data: Uint8Array }[] = [];
  eachCommand(data, (group, request, bytes) => commands.push({ group, request, data: bytes }));
  return commands;
}

describe('a command lane', () => {
  it('gives the worker every command in order, request ids past 2^32 exact, empty ones too', () => {
    const lane = new CommandLane();
    const sent = Array.from({ length: 500 }, (_, at) => ({
      group: `group-${at % 7}`,
      request: 2 ** 47 + at * 3,
      data: Uint8Array.from({ length: at % 5 === 0 ? 0 : 100 + (at % 13) }, (_, byte) => (at + byte) & 0xff),
    }));
    for (const command of sent) lane.add(command.group, command.request, command.data);
    expect(lane.size).toBe(500);
    const received = taken(posted(lane));
    expect(received.map(({ group, request }) => [group, request])).toEqual(
      sent.map(({ group, request }) => [group, request]),
    );
    expect(received.map((command) => [...command.data])).toEqual(sent.map((command) => [...command.data]));
  });

  it('grows past its first buffer for large commands, which get buffers of their own', () => {
    const lane = new CommandLane();
    const big = new Uint8Array(100_000).fill(7);
    lane.add('g', 1, Uint8Array.of(1, 2, 3));
    lane.add('g', 2, big);
    lane.add('g', 3, Uint8Array.of(4));
    const [first, second, third] = taken(posted(lane));
    expect([...first!.data]).toEqual([1, 2, 3]);
    expect(second!.data.byteLength).toBe(100_000);
    expect(second!.data.every((byte) => byte === 7)).toBe(true);
    expect(second!.data.buffer.byteLength).toBe(100_000);
    expect([...third!.data]).toEqual([4]);
  });

  it('copies each command out of the lane: changing the lane after changes no command', () => {
    const lane = new CommandLane();
    for (let at = 0; at < 200; at += 1) lane.add('g', at, new Uint8Array(100).fill(at));
    const data = posted(lane);
    const received = taken(data);
    data.bytes.fill(0);
    received.forEach((command, at) => {
      expect(command.data.every((byte) => byte === at)).toBe(true);
      // Small commands share chunks far smaller than the lane's 20,000 bytes.
      expect(command.data.buffer).not.toBe(data.bytes.buffer);
      expect(command.data.buffer.byteLength).toBeLessThanOrEqual(8 * 1024);
    });
    // And the commands of one chunk do not overlap.
    received[0]!.data.fill(255);
    expect(received[1]!.data.every((byte) => byte === 1)).toBe(true);
  });
});
