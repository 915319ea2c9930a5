/**
 * Parameters arrive as query-string text or JSON values; both go through validate.ts so a bad
 * value gets the same "Expected X for Y but received Z" message as the library and the CLI.
 */
import { integerInRange, numberInRange } from '../validate.js';

/** '12' -> 12, but 'abc', '', '1e400' stay as they are so the check reports what was sent. */
function numeric(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

export function optionalInteger(name: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined || value === null ? undefined : integerInRange(name, numeric(value), min, max);
}

export function optionalNumber(name: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined || value === null ? undefined : numberInRange(name, numeric(value), min, max);
}

/** An image id from a path segment: a positive integer, nothing else (no paths, no dots). */
export function imageId(value: unknown): number {
  const text = typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : value;
  return integerInRange('id', text, 1, 2 ** 31 - 1);
}
