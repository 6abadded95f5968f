import type { Redis } from 'ioredis';
import type { QUERY_CACHE_OUTCOMES } from '../observability/metric-catalog.js';

/**
 * Query results kept in Redis, shared by every instance, for reads that are costly and read far
 * more often than their data changes. Never for an authorisation decision: an answer may be as old
 * as the last invalidation that did not reach Redis.
 */
export interface QueryCache {
  /**
   * The cached answer for `key` in `namespace`, or `load`'s, which is then kept for `ttlSeconds`.
   * Answers are stored as JSON: a Date comes back as its ISO string.
   */
  getOrSet<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  /** Every answer of `namespace` is stale from now on. */
  invalidate(namespace: string): Promise<void>;
}

export type CacheOutcome = (typeof QUERY_CACHE_OUTCOMES)[number];

/** Without Redis every read goes to the database. */
export const NO_QUERY_CACHE: QueryCache = {
  getOrSet: (_namespace, _key, _ttlSeconds, load) => load(),
  invalidate: async () => {},
};

/**
 * One round trip reads the namespace's generation and the entry stored under it. Invalidating
 * increments the generation, so a load that began before an invalidation stores its answer under
 * the old generation, where no reader looks again; old entries expire on their own.
 */
const READ_SCRIPT = `
local generation = redis.call('GET', KEYS[1]) or '0'
return { generation, redis.call('GET', KEYS[2] .. generation .. ':' .. ARGV[1]) }
`;

/**
 * The cache on Redis. It fails open: an unreachable Redis costs the cached answer, never the
 * request, which is then answered from the database. `observe` hears how each read went.
 */
export function redisQueryCache(
  redis: Redis,
  keyPrefix: string,
  observe: (namespace: string, outcome: CacheOutcome) => void = () => {},
): QueryCache {
  const generationKey = (namespace: string) => `${keyPrefix}cache:${namespace}:generation`;
  const entryPrefix = (namespace: string) => `${keyPrefix}cache:${namespace}:entry:`;
  return {
    async getOrSet<T>(
      namespace: string,
      key: string,
      ttlSeconds: number,
      load: () => Promise<T>,
    ): Promise<T> {
      let generation: string;
      try {
        const [current, stored] = (await redis.eval(
          READ_SCRIPT,
          2,
          generationKey(namespace),
          entryPrefix(namespace),
          key,
        )) as [string, string | null];
        if (stored !== null && stored !== undefined) {
          observe(namespace, 'hit');
          return JSON.parse(stored) as T;
        }
        generation = current;
      } catch {
        observe(namespace, 'error');
        return load();
      }
      observe(namespace, 'miss');
      const value = await load();
      redis
        .set(`${entryPrefix(namespace)}${generation}:${key}`, JSON.stringify(value), 'EX', ttlSeconds)
        .catch(() => observe(namespace, 'error'));
      return value;
    },
    async invalidate(namespace) {
      try {
        await redis.incr(generationKey(namespace));
      } catch {
        observe(namespace, 'error');
      }
    },
  };
}
