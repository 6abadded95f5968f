import { DomainError } from '../errors.js';

/**
 * The IETF draft's headers (draft-ietf-httpapi-ratelimit-headers), on limited and passed requests
 * alike. A type, not an interface, so it can be handed to `ctx.set` as is.
 */
export type RateLimitHeaders = {
  'RateLimit-Limit': string;
  'RateLimit-Remaining': string;
  /** Seconds until the window resets, not a timestamp: clients need no synchronised clock. */
  'RateLimit-Reset': string;
};

/** Rounded up and at least 1, so a client that waits exactly this long is never refused again. */
const wholeSeconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

export function rateLimitHeaders(limit: number, remaining: number, msBeforeReset: number): RateLimitHeaders {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, remaining)),
    'RateLimit-Reset': String(wholeSeconds(msBeforeReset)),
  };
}

/** The 429 every limit answers with; the error mapper sends its headers along. */
export function rateLimitExceeded(limit: number, msBeforeRetry: number): DomainError {
  const retryAfter = wholeSeconds(msBeforeRetry);
  return new DomainError(
    'rate_limit.exceeded',
    429,
    `Too many requests; try again in ${retryAfter} s.`,
    undefined,
    { 'Retry-After': String(retryAfter), ...rateLimitHeaders(limit, 0, msBeforeRetry) },
  );
}
