import { CONTROLLER_MANAGER } from '../../operator/test/support/kube-fake/controllers.js';
import type { KubeApi, WriteOptions } from '../../operator/test/support/kube-fake/kube-api.js';

const TIMED = ['create', 'update', 'patch', 'delete', 'get', 'list'] as const;

export interface CallTime {
  call: string;
  count: number;
  totalMs: number;
}

/**
 * Times the fake's handling of each verb: the synchronous work of KubeApi (validation, server-side
 * apply and its managed fields, storing, and notifying every watch, which serialises the object
 * for each open stream). Body parsing and writing the response are not included. The simulated
 * controllers' status writes are counted apart from the requests that came over HTTP.
 */
export class FakeTiming {
  private readonly totals = new Map<string, { count: number; totalMs: number }>();
  /** Calls in progress: a verb that calls another (a patch reads the object first) is timed once. */
  private depth = 0;

  constructor(api: KubeApi) {
    for (const method of TIMED) {
      const original = api[method].bind(api) as (...args: unknown[]) => unknown;
      const replacement = (...args: unknown[]) => {
        if (this.depth > 0) return original(...args);
        const startedAt = performance.now();
        this.depth += 1;
        try {
          return original(...args);
        } finally {
          this.depth -= 1;
          const options = args.find(
            (arg): arg is WriteOptions => typeof arg === 'object' && arg !== null && 'manager' in arg,
          );
          this.add(
            options?.manager === CONTROLLER_MANAGER ? `${method} (simulated controllers)` : method,
            performance.now() - startedAt,
          );
        }
      };
      Object.assign(api, { [method]: replacement });
    }
  }

  /** What was timed since the last reset, the costliest first. */
  snapshot(): CallTime[] {
    return [...this.totals]
      .map(([call, { count, totalMs }]) => ({ call, count, totalMs }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  reset(): void {
    this.totals.clear();
  }

  private add(call: string, ms: number): void {
    const total = this.totals.get(call) ?? { count: 0, totalMs: 0 };
    total.count += 1;
    total.totalMs += ms;
    this.totals.set(call, total);
  }
}
