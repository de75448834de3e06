import { describe, expect, it } from 'vitest';
import { isOn, newMemberId, nodeOf } from '../../actors/index.js';

describe('member identities', () => {
  it('name their node and a fresh incarnation each time', () => {
    const first = newMemberId('n1');
    const second = newMemberId('n1');
    expect(first).not.toBe(second);
    expect(nodeOf(first)).toBe('n1');
    expect(nodeOf(second)).toBe('n1');
    expect(first.startsWith('n1#')).toBe(true);
  });

  it('leave a name stored before incarnations as its own node', () => {
    expect(nodeOf('n1')).toBe('n1');
    expect(nodeOf('a#b')).toBe('a#b');
    // A suffix of the right length that is not base64url is part of the name.
    expect(nodeOf('a#not base64!')).toBe('a#not base64!');
  });

  it('say a member is on a node exactly when nodeOf names that node', () => {
    const members = [
      newMemberId('a'),
      newMemberId('ab'),
      newMemberId('node-1'),
      'a',
      'ab',
      'a#b',
      'a#not base64!',
      `${newMemberId('a')}x`,
      newMemberId('a').slice(0, -1),
    ];
    const nodes = ['a', 'ab', 'node-1', 'a#b', 'a#not base64!', 'b', ''];
    for (const member of members)
      for (const node of nodes)
        expect(isOn(member, node), `${member} on ${node}`).toBe(nodeOf(member) === node);
  });
});
