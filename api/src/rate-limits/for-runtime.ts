import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { createRateLimits, type RateLimits } from './create-rate-limits.js';
import type { RateLimitPolicy } from './policy.js';
import { createFailFastRedis } from './redis-client.js';
import { UNLIMITED } from './unlimited.js';

export interface RateLimitSettings {
  enabled: boolean;
  redisUrl?: string;
  redisKeyPrefix: string;
  /** RATE_LIMIT_REPLICAS: the most instances that count apart while Redis is unreachable. */
  replicas: number;
  policy?: Partial<RateLimitPolicy>;
}

/**
 * The app's limits as configured: shared through Redis when REDIS_URL is set, in process
 * otherwise, or none at all. Refusals and in-process fallbacks are counted.
 */
export function rateLimitsFor(
  settings: RateLimitSettings,
  metrics: Metrics,
  logger: Logger,
): { limits: RateLimits; close(): Promise<void> } {
  if (!settings.enabled) {
    logger.warn('RATE_LIMITS=off: no request is rate limited');
    return { limits: UNLIMITED, close: async () => {} };
  }
  const redis =
    settings.redisUrl === undefined
      ? undefined
      : createFailFastRedis(settings.redisUrl, (err) =>
          logger.warn({ err }, 'rate-limit Redis unreachable: limiting in process until it returns'),
        );
  const limits = createRateLimits({
    redis,
    keyPrefix: `${settings.redisKeyPrefix}rl:`,
    replicas: settings.replicas,
    policy: settings.policy,
    onLimited: (scope) => {
      metrics.recordAuthEvent('rate_limited');
      metrics.recordRateLimitRefusal(scope);
    },
    onFallback: (limiter, decisions) => metrics.recordRateLimitFallback(limiter, decisions),
  });
  return {
    limits,
    async close() {
      // quit() waits for a reply a dead Redis never sends; disconnect() does not.
      if (redis?.status === 'ready') await redis.quit();
      else redis?.disconnect();
    },
  };
}
