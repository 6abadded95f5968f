const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The JSON merge patch (RFC 7386) that turns `previous` into `next`: every field of `next`, and
 * null for each field `previous` had that `next` drops, at any depth (a merge patch merges nested
 * objects, so a dropped nested field must be named as null too). Arrays are replaced whole, which
 * is what conditions need.
 */
export function mergePatchFor(
  previous: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    const before = previous?.[key];
    patch[key] = isObject(value) && isObject(before) ? mergePatchFor(before, value) : value;
  }
  for (const key of Object.keys(previous ?? {})) {
    if (!(key in next)) patch[key] = null;
  }
  return patch;
}
