// The JSON file `flotilla node --config` reads: startNode's options, with the secret and the TLS
// files given by path if wished. Relative paths are taken from the file's own directory.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { badArgument } from './errors.js';
import type { NodeOptions } from './options.js';

export interface NodeConfigFile extends Omit<NodeOptions, 'tls'> {
  /** Instead of `secret`: a file holding it (trailing whitespace ignored). */
  readonly secretFile?: string;
  readonly tls?: {
    readonly keyFile: string;
    readonly certFile: string;
    readonly caFile: string;
    readonly servername?: string;
  };
}

/** startNode's options from a config file; a bad file is a BAD_ARGUMENT naming what is wrong. */
export function readNodeConfig(path: string): NodeOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw badArgument(
      `cannot read the node config ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badArgument(`${path} must hold a JSON object`);
  const config = parsed as NodeConfigFile;
  const base = dirname(resolve(path));
  const file = (given: unknown, what: string) => {
    if (typeof given !== 'string' || given === '') throw badArgument(`${path}: ${what} must be a path`);
    return resolve(base, given);
  };
  const read = (given: unknown, what: string) => {
    const at = file(given, what);
    try {
      return readFileSync(at, 'utf8');
    } catch (error) {
      throw badArgument(
        `${path}: cannot read ${what} ${at}: ${error instanceof Error ? error.message : error}`,
      );
    }
  };
  const { secretFile, tls, ...options } = config;
  if (secretFile !== undefined && options.secret !== undefined)
    throw badArgument(`${path}: give secret or secretFile, not both`);
  return {
    ...options,
    dataDir: file(options.dataDir, 'dataDir'),
    ...(secretFile === undefined ? {} : { secret: read(secretFile, 'secretFile').trimEnd() }),
    ...(tls === undefined
      ? {}
      : {
          tls: {
            key: read(tls.keyFile, 'tls.keyFile'),
            cert: read(tls.certFile, 'tls.certFile'),
            ca: read(tls.caFile, 'tls.caFile'),
            ...(tls.servername === undefined ? {} : { servername: tls.servername }),
          },
        }),
  };
}
