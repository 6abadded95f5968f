import { Redis, type RedisOptions } from 'ioredis';

/**
 * A limiter sits in front of every request, so a broken Redis must cost milliseconds: with these,
 * a refused or dropped connection fails each command at once (no offline queue, no retry on
 * reconnect), and a server that stops answering costs one command timeout per request until the
 * socket timeout drops the connection; after that, every decision is made in memory at once.
 * ioredis keeps reconnecting in the background, and shared counting resumes when it succeeds.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  // Far above a healthy Redis's sub-millisecond answer, far below what a user would notice.
  commandTimeout: 250,
  socketTimeout: 1_000,
  connectTimeout: 1_000,
} as const satisfies RedisOptions;

/**
 * The client for work that sits in front of requests (the rate limits, the query cache). `onError` hears about every connection error
 * (ioredis reports each failed reconnect, a few seconds apart); without a listener ioredis would
 * print them itself.
 */
export function createFailFastRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, FAIL_FAST_REDIS_OPTIONS);
  redis.on('error', onError);
  return redis;
}

/** Refuses, at start-up, a client that would make requests wait for a Redis that is gone. */
export function assertFailsFast(redis: Redis): void {
  const { enableOfflineQueue, commandTimeout } = redis.options;
  if (enableOfflineQueue !== false || commandTimeout === undefined) {
    throw new Error(
      'The rate-limit Redis client must be created with enableOfflineQueue: false and a commandTimeout ' +
        '(see createFailFastRedis), or requests would wait while Redis is unreachable.',
    );
  }
}
