import { createHash } from 'node:crypto';

/** The first `length` hex characters of the sha256 of a value's JSON: short, stable fingerprints. */
export function shortHash(value: unknown, length = 10): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
