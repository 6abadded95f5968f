import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { fallbackWeight, type Window } from './policy.js';

/**
 * The counting the limits do, keyed by a store key. `consume` rejects with a RateLimiterRes once
 * the window is used up; any other rejection is a fault. rate-limiter-flexible's in-process
 * limiter fits as it is.
 */
export interface Counter {
  readonly points: number;
  consume(key: string): Promise<RateLimiterRes>;
  penalty(key: string): Promise<RateLimiterRes>;
  reward(key: string): Promise<RateLimiterRes>;
  get(key: string): Promise<RateLimiterRes | null>;
  block(key: string, seconds: number): Promise<RateLimiterRes>;
  delete(key: string): Promise<boolean>;
}

/**
 * Counts in Redis, shared by every instance, and keeps a copy of each answer in process. When a
 * Redis command fails, the copy decides instead: it starts from what this instance last saw, so
 * a block set or seen before the outage still holds, and each action weighs as much as every
 * replica's together (see fallbackWeight), so the instances counting apart stay within about one
 * shared count rather than one count each.
 */
class SharedCounter implements Counter {
  constructor(
    private readonly shared: RateLimiterRedis,
    private readonly copy: RateLimiterMemory,
    private readonly weight: number,
    private readonly stepIn: () => void,
  ) {}

  get points(): number {
    return this.shared.points;
  }

  consume(key: string) {
    return this.either(key, this.shared.consume(key), () => this.copy.consume(key, this.weight));
  }

  penalty(key: string) {
    return this.either(key, this.shared.penalty(key), () => this.copy.penalty(key, this.weight));
  }

  reward(key: string) {
    return this.either(key, this.shared.reward(key), () => this.copy.reward(key, this.weight));
  }

  get(key: string) {
    return this.either(key, this.shared.get(key), () => this.copy.get(key));
  }

  block(key: string, seconds: number) {
    return this.either(key, this.shared.block(key, seconds), () => this.copy.block(key, seconds));
  }

  delete(key: string) {
    return this.either(key, this.shared.delete(key), () => this.copy.delete(key));
  }

  private async either<T extends RateLimiterRes | boolean | null>(
    key: string,
    fromRedis: Promise<T>,
    inProcess: () => Promise<T>,
  ): Promise<T> {
    let answer: T;
    try {
      answer = await fromRedis;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        this.stepIn();
        return inProcess();
      }
      // A refusal is an answer too: the window it reports is copied like any other.
      await this.keepCopy(key, rejection);
      throw rejection;
    }
    await this.keepCopy(key, answer);
    return answer;
  }

  private async keepCopy(key: string, answer: RateLimiterRes | boolean | null): Promise<void> {
    if (answer instanceof RateLimiterRes && answer.msBeforeNext > 0) {
      // Fractional seconds keep the copy's expiry exactly Redis's.
      await this.copy.set(key, answer.consumedPoints, answer.msBeforeNext / 1000);
    } else {
      // Deleted, expired or never stored: the copy holds nothing either.
      await this.copy.delete(key);
    }
  }
}

export interface LimiterStore {
  /** Shared counters across API instances; without it every process counts on its own. */
  redis?: Redis;
  /** Prepended to every Redis key, so environments and test runs sharing a server never mix counters. */
  keyPrefix: string;
  /** How many instances may be counting apart while Redis is unreachable (RATE_LIMIT_REPLICAS). */
  replicas?: number;
  /**
   * A decision was made in process because Redis failed; called once per such decision, and once
   * with 0 when the limiter is created, so its metric series exists before the first fallback.
   */
  onFallback?: (limiter: string, decisions?: number) => void;
}

export function createLimiter(store: LimiterStore, name: string, window: Window): Counter {
  const options = {
    keyPrefix: `${store.keyPrefix}${name}`,
    points: window.points,
    duration: window.durationSeconds,
  };
  const inProcess = new RateLimiterMemory(options);
  if (store.redis === undefined) return inProcess;
  store.onFallback?.(name, 0);
  const shared = new RateLimiterRedis({
    ...options,
    storeClient: store.redis,
    // While the client is not connected, decide in process at once rather than hand it a command.
    rejectIfRedisNotReady: true,
  });
  return new SharedCounter(shared, inProcess, fallbackWeight(store.replicas ?? 1, window.points), () =>
    store.onFallback?.(name),
  );
}
