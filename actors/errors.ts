// The one error class callers see: every rejection carries a code, and only TIMEOUT leaves it
// open whether the command was applied.
export type ErrorCode =
  | 'TIMEOUT'
  | 'NO_SUCH_GROUP'
  | 'NOT_A_MEMBER'
  | 'OVERLOADED'
  | 'MACHINE_ERROR'
  | 'STOPPED'
  | 'BAD_ARGUMENT'
  | 'UNAUTHORIZED';

export class FlotillaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FlotillaError';
  }
}

export function badArgument(message: string): FlotillaError {
  return new FlotillaError('BAD_ARGUMENT', message);
}

/**
 * `error` as callers see it: a FlotillaError as it is; anything else broke inside the node (a
 * storage failure, a broken invariant), which is not the caller's mistake: STOPPED.
 */
export function asFlotillaError(error: unknown): FlotillaError {
  if (error instanceof FlotillaError) return error;
  return new FlotillaError(
    'STOPPED',
    `internal failure: ${error instanceof Error ? error.message : String(error)}`,
  );
}
