// A turn's commands and durable reports for a worker shard: what the worker takes out of a lane
// is what went in, in order, crossing threads as the node posts it, and each command's bytes are
// its own copy, which a long-kept entry can hold without holding the lane.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ActorInput } from '../../actors/actor-io.js';
import { eachInput, InputLane, type InputLaneData, laneBuffers } from '../../actors/input-lane.js';

/** `lane` moved across a port, as a worker shard's node posts it. */
function posted(lane: InputLane): InputLaneData {
  const data = lane.take();
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(data, laneBuffers(data));
  const received = receiveMessageOnPort(port2)?.message as InputLaneData;
  port1.close();
  // Moved, not copied: the node keeps nothing of what it posted.
  expect(data.bytes.byteLength).toBe(0);
  return received;
}

function taken(data: InputLaneData): { group: string; input: ActorInput }[] {
  const inputs: { group: string; input: ActorInput }[] = [];
  eachInput(data, (group, input) => inputs.push({ group, input }));
  return inputs;
}

const bytesOf = (input: ActorInput) => (input.kind === 'command' ? [...input.data] : null);

describe('an input lane', () => {
  it('gives the worker every command and durable report in order, numbers past 2^32 exact', () => {
    const lane = new InputLane();
    const sent = Array.from({ length: 500 }, (_, at): { group: string; input: ActorInput } => ({
      group: `group-${at % 7}`,
      input:
        at % 3 === 0
          ? { kind: 'durable', seq: 2 ** 40 + at }
          : {
              kind: 'command',
              request: 2 ** 47 + at * 3,
              data: Uint8Array.from(
                { length: at % 5 === 0 ? 0 : 100 + (at % 13) },
                (_, byte) => (at + byte) & 0xff,
              ),
            },
    }));
    for (const { group, input } of sent) expect(lane.add(group, input)).toBe(true);
    expect(lane.size).toBe(500);
    const received = taken(posted(lane));
    const shown = ({ group, input }: { group: string; input: ActorInput }) => [
      group,
      input.kind,
      input.kind === 'durable' ? input.seq : (input as { request: number }).request,
    ];
    expect(received.map(shown)).toEqual(sent.map(shown));
    expect(received.map(({ input }) => bytesOf(input))).toEqual(sent.map(({ input }) => bytesOf(input)));
  });

  it('takes only commands and durable reports', () => {
    const lane = new InputLane();
    expect(lane.add('g', { kind: 'timeout' })).toBe(false);
    expect(lane.add('g', { kind: 'campaign' })).toBe(false);
    expect(lane.size).toBe(0);
  });

  it('grows past its first buffer for large commands, which get buffers of their own', () => {
    const lane = new InputLane();
    lane.add('g', { kind: 'command', request: 1, data: Uint8Array.of(1, 2, 3) });
    lane.add('g', { kind: 'command', request: 2, data: new Uint8Array(100_000).fill(7) });
    lane.add('g', { kind: 'command', request: 3, data: Uint8Array.of(4) });
    const [first, second, third] = taken(posted(lane)).map(({ input }) => input as { data: Uint8Array });
    expect([...first!.data]).toEqual([1, 2, 3]);
    expect(second!.data.byteLength).toBe(100_000);
    expect(second!.data.every((byte) => byte === 7)).toBe(true);
    expect(second!.data.buffer.byteLength).toBe(100_000);
    expect([...third!.data]).toEqual([4]);
  });

  it('copies each command out of the lane: changing the lane after changes no command', () => {
    const lane = new InputLane();
    for (let at = 0; at < 200; at += 1)
      lane.add('g', { kind: 'command', request: at, data: new Uint8Array(100).fill(at) });
    const data = posted(lane);
    const received = taken(data).map(({ input }) => (input as { data: Uint8Array }).data);
    data.bytes.fill(0);
    received.forEach((bytes, at) => {
      expect(bytes.every((byte) => byte === at)).toBe(true);
      // Small commands share chunks far smaller than the lane's 20,000 bytes.
      expect(bytes.buffer).not.toBe(data.bytes.buffer);
      expect(bytes.buffer.byteLength).toBeLessThanOrEqual(8 * 1024);
    });
    // And the commands of one chunk do not overlap.
    received[0]!.fill(255);
    expect(received[1]!.every((byte) => byte === 1)).toBe(true);
  });
});
