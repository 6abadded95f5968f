import type { KubeObject } from './types.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}

/** Everything but metadata and status: what `metadata.generation` counts changes of. */
function desiredState(object: KubeObject): string {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return JSON.stringify(sortKeys(rest));
}

/**
 * API conventions, "Metadata": generation is a sequence number of the desired state; it moves
 * only when the spec changes, never for metadata or status writes.
 */
export function nextGeneration(before: KubeObject | undefined, after: KubeObject): number {
  if (before === undefined) return 1;
  const current = before.metadata.generation ?? 1;
  return desiredState(before) === desiredState(after) ? current : current + 1;
}
