/**
 * A JSON merge patch that turns `previous` into `next` at the top level: every field of `next`,
 * and null for each field `previous` had that `next` drops (a merge patch only removes what it
 * names as null). Nested objects and arrays are replaced whole, which is what conditions need.
 */
export function mergePatchFor(
  previous: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(previous ?? {})) {
    if (!(key in next)) patch[key] = null;
  }
  return patch;
}
