// Argument checks shared by the simulator's and the planted-bug runner's command lines.

/** `text` as a positive integer, or a RangeError naming the option. */
export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a positive integer, got ${text}`);
  return value;
}
