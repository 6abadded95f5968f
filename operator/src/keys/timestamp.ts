import { toKubeTime } from '../status/conditions.js';

/**
 * Key timestamps are RFC 3339 with whole seconds, like every time the API server stores. They are
 * rounded UP: every deadline is measured from them, so a stamp that is never earlier than the event
 * can only delay a promotion or a retirement, never bring one forward.
 */
export function keyTimestamp(at: Date): string {
  return toKubeTime(new Date(Math.ceil(at.getTime() / 1000) * 1000));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The instant a stored timestamp names, or undefined when it is missing or unreadable. */
export function readKeyTimestamp(text: string | undefined): number | undefined {
  if (text === undefined || !RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
