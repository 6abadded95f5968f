import type { Middleware } from 'koa';
import type { RateLimits } from './create-rate-limits.js';

const passThrough: Middleware = (_ctx, next) => next();

/**
 * The limits switched off (RATE_LIMITS=off): for load tests, and for deployments where a gateway
 * in front already limits. Same shape, so nothing else has to know.
 */
export const UNLIMITED: RateLimits = {
  perIp: passThrough,
  register: passThrough,
  login: {
    begin: async () => ({ headers: {} as never, succeeded: async () => {}, failed: async () => {} }),
  },
  countWrongPassword: async () => ({ endSession: false }),
  consumeRefresh: async () => ({}) as never,
};
