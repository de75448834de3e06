// `flotilla node --config file.json`: one node as a process. It says where it listens, reports
// peers coming and going and refused connections on stderr, and closes cleanly on SIGTERM or
// SIGINT (a SIGKILL loses nothing acknowledged: that is the WAL's job).

import { startNode } from './node.js';
import { readNodeConfig } from './node-config.js';

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

export async function runNodeProcess(configPath: string): Promise<number> {
  const options = readNodeConfig(configPath);
  const node = await startNode(options);
  node.on('up', (peer) => log(`peer ${peer} up`));
  node.on('down', (peer) => log(`peer ${peer} down`));
  node.on('error', (error) => log(`${(error as { code?: string }).code ?? 'ERROR'} ${error.message}`));
  const peers = Object.keys(options.peers ?? {}).join(', ') || 'none';
  const groups = node.overview().groups;
  console.log(
    `flotilla node ${node.name} listening on ${options.listen ?? '(in-process only)'}; peers: ${peers}; groups: ${groups}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: closing`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await node.close();
  log('closed');
  return 0;
}
