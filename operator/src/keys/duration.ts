/**
 * Go-style durations as a SkeletonApp spells them (`720h`, `15m`, `30s`, `1h30m`, `250ms`): whole
 * numbers with a unit, concatenated. Go also accepts fractions and µs/ns, but the CRD's pattern does
 * not, so neither does this: a spec the operator reads has already passed that pattern.
 */
const DURATION = /^(?:[0-9]+(?:ms|h|m|s))+$/;
// `ms` before `m`, or `250ms` would read as 250 minutes followed by a stray `s`.
const PART = /([0-9]+)(ms|h|m|s)/g;
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Milliseconds in `text`; throws on anything the CRD's duration pattern would not accept. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) {
    throw new Error(
      `invalid duration ${JSON.stringify(text)}: expected a number with a unit (h, m, s or ms), such as 720h, 15m, 30s or 1h30m`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  // Beyond 2^53 ms the sum is rounded; no key policy needs 285,000 years, so call it a typo.
  if (!Number.isSafeInteger(total)) throw new Error(`invalid duration ${JSON.stringify(text)}: too long`);
  return total;
}
