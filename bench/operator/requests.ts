import { setTimeout as sleep } from 'node:timers/promises';
import {
  type RequestCounts,
  type RequestEntry,
  WRITE_VERBS,
} from '../../operator/test/support/kube-fake/faults.js';

const POLL_MS = 100;

export const isWrite = (entry: RequestEntry) => WRITE_VERBS.includes(entry.verb);

/**
 * What a request path addresses, as RBAC names it: `resource[.group][/subresource]`, e.g.
 * `deployments.apps`, `skeletonapps.platform.skeleton.dev/status`, `configmaps`; `discovery` for
 * /api, /apis and their group and version documents.
 */
export function resourceOf(path: string): string {
  const segments = path.split('/').filter(Boolean);
  let group = '';
  let rest: string[];
  if (segments[0] === 'api') rest = segments.slice(2);
  else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    rest = segments.slice(3);
  } else return path;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, , subresource] = rest;
  if (resource === undefined) return 'discovery';
  return `${resource}${group ? `.${group}` : ''}${subresource ? `/${subresource}` : ''}`;
}

/** Counts by label, the most frequent first (then by label). */
export const mostFirst = (counts: Map<string, number>): [string, number][] =>
  [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));

/** Requests counted by `verb resource`, most frequent first. */
export function breakdown(entries: readonly RequestEntry[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const { verb, path } of entries) {
    const label = `${verb} ${resourceOf(path)}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return mostFirst(counts);
}

/** A view of the fake's request log from a point on. */
export class RequestWindow {
  private readonly start: number;
  private end: number | undefined;

  constructor(private readonly requests: RequestCounts) {
    this.start = requests.entries.length;
  }

  close(): void {
    this.end ??= this.requests.entries.length;
  }

  entries(): RequestEntry[] {
    return this.requests.entries.slice(this.start, this.end);
  }
}

/**
 * Resolves once `writesSoFar` has not grown for `quietMs` and `settled` (the operator's own account:
 * nothing queued or in flight) agrees (true), or after `timeoutMs` (false). Reads do not count: the
 * operator's watches stay open and the bookmarks they carry are not requests.
 */
export async function waitForQuiet(
  writesSoFar: () => Promise<number>,
  quietMs: number,
  timeoutMs: number,
  settled: () => Promise<boolean> = async () => true,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let seen = await writesSoFar();
  let lastWrite = performance.now();
  const sawWrite = async () => {
    const now = await writesSoFar();
    const wrote = now !== seen;
    seen = now;
    if (wrote) lastWrite = performance.now();
    return wrote;
  };
  while (performance.now() < deadline) {
    await sleep(POLL_MS);
    if ((await sawWrite()) || performance.now() - lastWrite < quietMs) continue;
    if ((await settled()) && !(await sawWrite())) return true;
  }
  return false;
}
