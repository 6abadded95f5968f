import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Window } from './policy.js';

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/**
 * The in-process limiter a Redis one falls back to when a command fails. It counts like any
 * memory limiter and exists as a class only to say that it had to step in.
 */
class FallbackLimiter extends RateLimiterMemory {
  constructor(
    options: MemoryOptions,
    private readonly stepIn: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>) {
    this.stepIn();
    return super.consume(...args);
  }

  override penalty(...args: Parameters<RateLimiterMemory['penalty']>) {
    this.stepIn();
    return super.penalty(...args);
  }

  override reward(...args: Parameters<RateLimiterMemory['reward']>) {
    this.stepIn();
    return super.reward(...args);
  }

  override get(...args: Parameters<RateLimiterMemory['get']>) {
    this.stepIn();
    return super.get(...args);
  }

  override set(...args: Parameters<RateLimiterMemory['set']>) {
    this.stepIn();
    return super.set(...args);
  }

  override block(...args: Parameters<RateLimiterMemory['block']>) {
    this.stepIn();
    return super.block(...args);
  }

  override delete(...args: Parameters<RateLimiterMemory['delete']>) {
    this.stepIn();
    return super.delete(...args);
  }
}

export interface LimiterStore {
  /** Shared counters across API instances; without it every process counts on its own. */
  redis?: Redis;
  /** Prepended to every Redis key, so environments and test runs sharing a server never mix counters. */
  keyPrefix: string;
  /**
   * A decision was made in process because Redis failed; called once per such decision, and once
   * with 0 when the limiter is created, so its metric series exists before the first fallback.
   */
  onFallback?: (limiter: string, decisions?: number) => void;
}

export function createLimiter(store: LimiterStore, name: string, window: Window): RateLimiterAbstract {
  const options = {
    keyPrefix: `${store.keyPrefix}${name}`,
    points: window.points,
    duration: window.durationSeconds,
  };
  if (store.redis === undefined) return new RateLimiterMemory(options);
  store.onFallback?.(name, 0);
  return new RateLimiterRedis({
    ...options,
    storeClient: store.redis,
    // While the client is not connected, decide in memory at once rather than hand it a command.
    rejectIfRedisNotReady: true,
    // Each process then limits on its own: N instances let up to N times the limit through, which
    // beats refusing everyone or letting everything through while Redis is down.
    insuranceLimiter: new FallbackLimiter(options, () => store.onFallback?.(name)),
  });
}
