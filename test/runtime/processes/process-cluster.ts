// Node processes for the fault tests: each runs `flotilla node --config` from the built package,
// as a deployment would. The links between them go through fault proxies the test controls, and
// the test process joins as a node of its own ('driver', a member of no group) to make calls.
// Every process started here is ended here, by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlotillaNode, startNode } from 'flotilla';
import { freePort } from '../tcp/tcp-cluster.js';
import { FaultProxy } from './fault-proxy.js';

const cli = fileURLToPath(new URL('../../../dist/runtime/cli.js', import.meta.url));
const secret = 'fault-test-secret';
const transport = { heartbeatMs: 50, downAfterMs: 400 };

export class ProcessCluster {
  readonly processes = new Map<string, ChildProcess>();
  /** What each process wrote to stderr, for the report when a test fails. */
  readonly logs = new Map<string, string>();
  driver!: FlotillaNode;

  private constructor(
    readonly root: string,
    readonly names: readonly string[],
    readonly addresses: Readonly<Record<string, string>>,
    /** The proxy each dialing node reaches a listening one through, by "dialer>listener". */
    readonly proxies: ReadonlyMap<string, FaultProxy>,
  ) {}

  static async start(names: readonly string[]): Promise<ProcessCluster> {
    const root = mkdtempSync(join(tmpdir(), 'flotilla-processes-'));
    const addresses: Record<string, string> = {};
    for (const name of [...names, 'driver']) addresses[name] = `127.0.0.1:${await freePort()}`;
    const proxies = new Map<string, FaultProxy>();
    for (const dialer of names)
      for (const listener of names)
        if (dialer < listener)
          proxies.set(`${dialer}>${listener}`, await FaultProxy.start(addresses[listener]!));
    const cluster = new ProcessCluster(root, names, addresses, proxies);
    for (const name of names) cluster.writeConfig(name);
    await Promise.all(names.map((name) => cluster.startProcess(name)));
    cluster.driver = await startNode({
      name: 'driver',
      dataDir: join(root, 'driver'),
      listen: addresses.driver!,
      peers: Object.fromEntries(names.map((name) => [name, addresses[name]!])),
      secret,
      transport,
    });
    await cluster.until(
      () => cluster.driver.overview().peers.length === names.length,
      'the driver to connect',
      10_000,
    );
    return cluster;
  }

  static get secret(): string {
    return secret;
  }

  private writeConfig(name: string): void {
    const peers: Record<string, string> = { driver: this.addresses.driver! };
    for (const peer of this.names) {
      if (peer === name) continue;
      const proxy = this.proxies.get(`${name}>${peer}`);
      peers[peer] = proxy === undefined ? this.addresses[peer]! : `127.0.0.1:${proxy.port}`;
    }
    const config = {
      name,
      dataDir: join(this.root, name),
      listen: this.addresses[name],
      peers,
      secret,
      transport,
    };
    writeFileSync(join(this.root, `${name}.json`), JSON.stringify(config));
  }

  /** Starts (or restarts) a node process and resolves once it listens. */
  startProcess(name: string): Promise<void> {
    const child = spawn(process.execPath, [cli, 'node', '--config', join(this.root, `${name}.json`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.set(name, child);
    child.stderr!.on('data', (chunk: Buffer) => {
      const log = (this.logs.get(name) ?? '') + chunk.toString();
      this.logs.set(name, log.slice(-20_000));
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} did not start in 15 s`)), 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`node ${name} exited (${code ?? signal}) while starting: ${this.logs.get(name) ?? ''}`),
        );
      });
    });
  }

  /** Sends `signal` to the node's process, by its PID; for SIGKILL, resolves once it has exited. */
  async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.processes.get(name);
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, signal);
    if (signal === 'SIGKILL') await exited;
  }

  /** Cuts (or heals) the link between two nodes: `forward` is from the one whose name sorts first. */
  link(one: string, other: string, forward: boolean, backward: boolean): void {
    const [dialer, listener] = one < other ? [one, other] : [other, one];
    const proxy = this.proxies.get(`${dialer}>${listener}`)!;
    if (one < other) proxy.set(forward, backward);
    else proxy.set(backward, forward);
  }

  healAll(): void {
    for (const proxy of this.proxies.values()) proxy.set(true, true);
  }

  async until(condition: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    for (const name of this.processes.keys()) {
      // A paused process must run again to die of SIGTERM; SIGKILL needs nothing.
      await this.signal(name, 'SIGKILL');
    }
    await this.driver?.close();
    for (const proxy of this.proxies.values()) proxy.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
