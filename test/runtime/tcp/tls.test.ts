// Nodes over mutual TLS: they talk when both certificates come from the cluster's CA, and a
// node whose certificate another CA signed never gets as far as the secret.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlotillaNode, startNode } from 'flotilla';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineUrl, until } from '../cluster.js';
import { freePort, secret } from './tcp-cluster.js';

let root: string;
const started: FlotillaNode[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: root, stdio: 'ignore' });
}

/** A CA, and certificates it signs for 127.0.0.1: EC keys, so this takes a moment only. */
function authority(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

function certificate(ca: string, name: string): { key: string; cert: string; ca: string } {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-copy_extensions',
    'copy',
    '-out',
    `${name}.pem`,
  );
  const read = (file: string) => readFileSync(join(root, file), 'utf8');
  return { key: read(`${name}.key`), cert: read(`${name}.pem`), ca: read(`${ca}.pem`) };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
  authority('cluster-ca');
  authority('other-ca');
});

afterAll(async () => {
  for (const node of started) await node.close();
  rmSync(root, { recursive: true, force: true });
});

describe('nodes over mutual TLS', () => {
  it('replicate when both certificates come from the cluster CA, and refuse one from another CA', async () => {
    const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
    const address = (name: keyof typeof ports) => `127.0.0.1:${ports[name]}`;
    const start = async (name: 'a' | 'b' | 'c', ca: string) => {
      const node = await startNode({
        name,
        dataDir: join(root, name),
        listen: address(name),
        peers: { a: address('a'), b: address('b'), c: address('c') },
        secret,
        tls: certificate(ca, `node-${name}`),
      });
      started.push(node);
      return node;
    };
    const a = await start('a', 'cluster-ca');
    const b = await start('b', 'cluster-ca');
    const c = await start('c', 'other-ca');
    await until(() => a.overview().peers.includes('b'), 'a and b to connect over TLS');
    await a.createGroup('pair', { machine: { module: machineUrl('counter') }, members: ['a', 'b'] });
    expect(await b.command('pair', 5)).toBe(5);
    // a and b dial c (it sorts last); each side refuses the other's certificate.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(a.overview().peers).toEqual(['b']);
    expect(c.overview().peers).toEqual([]);
  });
});
