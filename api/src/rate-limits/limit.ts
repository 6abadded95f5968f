import { RateLimiterRes } from 'rate-limiter-flexible';
import type { DomainError } from '../errors.js';
import type { RateLimitScope } from '../observability/metric-catalog.js';
import type { StoreKey } from './keys.js';
import { type RateLimitHeaders, rateLimitExceeded, rateLimitHeaders } from './rate-limit-error.js';
import type { Counter } from './store.js';

/** Which limit refused a request, for metrics and logs (the catalogue lists them). */
export type { RateLimitScope };

/** One named window over one limiter, answering in headers and 429s rather than library results. */
export class Limit {
  constructor(
    readonly scope: RateLimitScope,
    private readonly limiter: Counter,
    private readonly onLimited: (scope: RateLimitScope) => void,
  ) {}

  get points(): number {
    return this.limiter.points;
  }

  /** Takes one point: answers the headers to send, or throws the 429 once the window is used up. */
  async consume(key: StoreKey): Promise<RateLimitHeaders> {
    let result: RateLimiterRes;
    try {
      result = await this.limiter.consume(key);
    } catch (rejection) {
      // Anything but the limiter's own answer is a fault, not a refusal.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw this.refusal(rejection.msBeforeNext);
    }
    return rateLimitHeaders(this.points, result.remainingPoints, result.msBeforeNext);
  }

  private refusal(msBeforeRetry: number): DomainError {
    this.onLimited(this.scope);
    return rateLimitExceeded(this.points, msBeforeRetry);
  }

  /** Gives back a point taken for an action that turned out not to count. */
  async refund(key: StoreKey): Promise<void> {
    await this.limiter.reward(key);
  }

  async reset(key: StoreKey): Promise<void> {
    await this.limiter.delete(key);
  }
}
