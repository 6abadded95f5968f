import {
  conflict,
  forbidden,
  internalError,
  type StatusError,
  serviceUnavailable,
  tooManyRequests,
} from './status-errors.js';

/**
 * Kubernetes' request verbs (k8s.io/apiserver RequestInfo): GET on an object is get, on a collection list,
 * with ?watch watch; POST create; PUT update; PATCH patch; DELETE on an object delete, on a collection
 * deletecollection. Discovery and other non-resource paths get the lowercased HTTP method (usually get).
 */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'patch', 'delete', 'deletecollection'];

export interface RequestMatcher {
  verb?: Verb;
  /** A RegExp tested against the request path (no query), or a string the path must equal. */
  path?: RegExp | string;
}

export interface FailRule extends RequestMatcher {
  count: number;
  code: 403 | 409 | 429 | 500 | 503;
  /** For 403: why, as an admission policy or RBAC would word it. */
  reason?: string;
  /** For 429 (and 503): the Retry-After header and details.retryAfterSeconds. Defaults to 1 for 429. */
  retryAfterSeconds?: number;
}

export interface LatencyRule extends RequestMatcher {
  ms: number;
}

/** The resource a request addresses, for the wording of an injected 409. */
export interface Target {
  group: string;
  resource: string;
  name?: string;
}

export interface RequestEntry {
  verb: Verb;
  path: string;
}

/** What the server hands the fault layer so it can act on open watch streams. */
export interface WatchStreams {
  /** End every stream at once by destroying its connection (no clean chunked end). */
  drop(): void;
  /** Stop writing events (they are buffered) until resume(). */
  stall(): void;
  resume(): void;
  /** Send an in-stream ERROR 410 Expired event, then end every stream. */
  expire(): void;
  /** store.compact(). */
  compact(): void;
}

const matches = (matcher: RequestMatcher, verb: Verb, path: string) =>
  (matcher.verb === undefined || matcher.verb === verb) &&
  (matcher.path === undefined ||
    (typeof matcher.path === 'string' ? matcher.path === path : matcher.path.test(path)));

/** Counts of the requests the fake has received, by Kubernetes verb. */
export class RequestCounts {
  readonly entries: RequestEntry[] = [];

  record(verb: Verb, path: string): void {
    this.entries.push({ verb, path });
  }

  /** How many requests had this verb (and matched path, if given). */
  count(verb: Verb, path?: RegExp | string): number {
    return this.entries.filter((entry) => matches({ verb, path }, entry.verb, entry.path)).length;
  }

  get byVerb(): Partial<Record<Verb, number>> {
    const counts: Partial<Record<Verb, number>> = {};
    for (const { verb } of this.entries) counts[verb] = (counts[verb] ?? 0) + 1;
    return counts;
  }

  /** create + update + patch + delete (+ deletecollection). */
  writes(): number {
    return this.entries.filter((entry) => WRITE_VERBS.includes(entry.verb)).length;
  }

  reset(): void {
    this.entries.length = 0;
  }
}

/** The status kube-apiserver would answer a failure of this code with. */
function statusFor(rule: FailRule, target: Target | undefined): StatusError {
  switch (rule.code) {
    case 403:
      return forbidden(
        target?.group ?? '',
        target?.resource ?? '',
        target?.name ?? '',
        rule.reason ?? 'injected fault',
      );
    case 409:
      return conflict(target?.group ?? '', target?.resource ?? '', target?.name ?? '');
    case 429:
      return tooManyRequests(rule.retryAfterSeconds ?? 1);
    case 500:
      return internalError('injected fault');
    case 503: {
      const error = serviceUnavailable(
        'injected fault: the server is currently unable to handle the request',
      );
      if (rule.retryAfterSeconds !== undefined)
        error.status.details = { retryAfterSeconds: rule.retryAfterSeconds };
      return error;
    }
  }
}

/**
 * Fault injection for tests: failures and latency for chosen requests, and disruption of watch streams.
 * Every request the fake receives is counted first, including those answered with an injected failure.
 */
export class Faults {
  readonly requests = new RequestCounts();
  private failures: { rule: FailRule; left: number }[] = [];
  private latencies: LatencyRule[] = [];

  constructor(private readonly watches: WatchStreams) {}

  /** Answer the next `count` matching requests with the metav1.Status for `code`. */
  failNext(rule: FailRule): void {
    if (!Number.isInteger(rule.count) || rule.count < 1) throw new Error('failNext: count must be >= 1');
    this.failures.push({ rule, left: rule.count });
  }

  /** Delay every matching request by `ms` before it is handled; returns a function removing the rule. */
  addLatency(rule: LatencyRule): () => void {
    this.latencies.push(rule);
    return () => {
      this.latencies = this.latencies.filter((r) => r !== rule);
    };
  }

  /** Remove every pending failure and latency rule. */
  clear(): void {
    this.failures = [];
    this.latencies = [];
  }

  dropWatches(): void {
    this.watches.drop();
  }

  stallWatches(): void {
    this.watches.stall();
  }

  resumeWatches(): void {
    this.watches.resume();
  }

  /** Forget the history (store.compact) and end open watches with an ERROR 410 Expired event. */
  compactHistory(): void {
    this.watches.compact();
    this.watches.expire();
  }

  resetCounts(): void {
    this.requests.reset();
  }

  writes(): number {
    return this.requests.writes();
  }

  /** @internal Called by the server for every request: counts it, waits, and maybe returns a failure. */
  async intercept(verb: Verb, path: string, target?: Target): Promise<StatusError | undefined> {
    this.requests.record(verb, path);
    const delay = this.latencies
      .filter((rule) => matches(rule, verb, path))
      .reduce((sum, rule) => sum + rule.ms, 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const failure = this.failures.find(({ rule }) => matches(rule, verb, path));
    if (!failure) return undefined;
    failure.left -= 1;
    if (failure.left <= 0) this.failures = this.failures.filter((f) => f !== failure);
    return statusFor(failure.rule, target);
  }
}
