import type { RequestCounts, RequestEntry } from '../../operator/test/support/kube-fake/faults.js';
import { scrape } from './metrics.js';
import { breakdown, isWrite, mostFirst } from './requests.js';

/** The operator's writes so far, as far as the backend lets them be seen. */
export interface WriteCounter {
  /** What is counted, for the report. */
  readonly counted: string;
  /** Every write so far by label (`verb resource`): the difference of two readings is what was written between them. */
  counts(): Promise<Map<string, number>>;
  /** How many so far: polled while waiting for quiet, so it must stay cheap. */
  total(): Promise<number>;
}

/** Every write request the fake received (the bench's own creates and edits among them). */
export function requestWrites(requests: RequestCounts): WriteCounter {
  let scanned = 0;
  let writes = 0;
  return {
    counted: 'write requests the fake received',
    counts: async () => new Map(breakdown(requests.entries.filter(isWrite))),
    async total() {
      const { entries } = requests;
      for (; scanned < entries.length; scanned++) if (isWrite(entries[scanned] as RequestEntry)) writes += 1;
      return writes;
    },
  };
}

const CHILD_APPLIES = 'skeleton_operator_child_applies_total';

/**
 * The server-side applies of children the operator counts itself (skeleton_operator_child_applies_total,
 * every outcome), by kind: what can be seen of its writes where no request log is kept. Its status
 * patches and events are not counted there.
 */
export function childApplies(metricsUrl: string): WriteCounter {
  const counts = async () => {
    const byKind = new Map<string, number>();
    for (const [series, value] of await scrape(metricsUrl)) {
      if (!series.startsWith(`${CHILD_APPLIES}{`)) continue;
      const kind = /kind="([^"]*)"/.exec(series)?.[1] ?? '';
      const label = `apply ${kind}`;
      byKind.set(label, (byKind.get(label) ?? 0) + value);
    }
    return byKind;
  };
  return {
    counted: `child applies the operator counted (${CHILD_APPLIES}; status patches and events not included)`,
    counts,
    total: async () => [...(await counts()).values()].reduce((sum, count) => sum + count, 0),
  };
}

/** What was written between two readings, most first; labels that did not grow are left out. */
export function written(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  const grown = new Map<string, number>();
  for (const [label, count] of after) {
    const growth = count - (before.get(label) ?? 0);
    if (growth > 0) grown.set(label, growth);
  }
  return mostFirst(grown);
}
