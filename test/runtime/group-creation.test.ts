// createGroup is all or nothing: a machine that cannot load or start, a module path that is not
// a URL, a member node that is not in the cluster, each is refused before anything is written,
// so a retry with the right spec creates the group and every node still starts.
import { FlotillaError } from 'flotilla';
import { describe, expect, it } from 'vitest';
import { type Cluster, clustersPerTest, machineUrl } from './cluster.js';

const start = clustersPerTest();
const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };

async function refusal(promise: Promise<unknown>): Promise<FlotillaError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FlotillaError);
  return error as FlotillaError;
}

function noGroupAnywhere(cluster: Cluster): void {
  for (const node of cluster.nodes.values()) expect(node.groups()).toEqual([]);
}

describe('createGroup, all or nothing', () => {
  it('leaves no trace of a machine that cannot load, and then creates the group with the right one', async () => {
    const cluster = await start();
    const missing = { ...counter, machine: { module: machineUrl('no-such-machine') } };
    const error = await refusal(cluster.node('a').createGroup('g', missing));
    expect(error.code).toBe('BAD_ARGUMENT');
    expect(error.message).toMatch(/no-such-machine/);
    noGroupAnywhere(cluster);
    expect((await refusal(cluster.node('b').deleteGroup('g'))).code).toBe('NO_SUCH_GROUP');
    await cluster.node('a').createGroup('g', counter);
    expect(await cluster.node('c').command('g', 2)).toBe(2);
    // Every node starts again on its data, with the one group it has.
    for (const name of ['a', 'b', 'c']) expect((await cluster.restart(name)).groups()).toEqual(['g']);
  });

  it('leaves no trace of a machine whose init throws', async () => {
    const cluster = await start();
    const failing = {
      machine: { module: machineUrl('failing-init'), config: { fail: true } },
      members: ['a', 'b', 'c'],
    };
    const error = await refusal(cluster.node('b').createGroup('g', failing));
    expect(error.code).toBe('BAD_ARGUMENT');
    expect(error.message).toMatch(/init/);
    noGroupAnywhere(cluster);
    await cluster
      .node('b')
      .createGroup('g', { ...failing, machine: { ...failing.machine, config: { fail: false } } });
    expect(await cluster.node('a').command('g', 3)).toBe(3);
  });

  it('refuses a module path that is not a URL, with a hint', async () => {
    const cluster = await start();
    for (const module of ['./machines/counter.mjs', '/tmp/counter.mjs', 'counter.mjs']) {
      const error = await refusal(cluster.node('a').createGroup('g', { ...counter, machine: { module } }));
      expect(error.code).toBe('BAD_ARGUMENT');
      expect(error.message).toMatch(/new URL\('\.\/machine\.js', import\.meta\.url\)/);
    }
    noGroupAnywhere(cluster);
  });

  it('refuses a member node that is not in the cluster at once, writing nothing', async () => {
    const cluster = await start();
    const error = await refusal(
      cluster.node('a').createGroup('g', { ...counter, members: ['a', 'b', 'zz'] }),
    );
    expect(error.code).toBe('BAD_ARGUMENT');
    expect(error.message).toMatch(/zz/);
    noGroupAnywhere(cluster);
  });
});
