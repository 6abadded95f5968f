import type { Redis } from 'ioredis';
import type { Middleware } from 'koa';
import { sessionKey } from './keys.js';
import { Limit, type RateLimitScope } from './limit.js';
import { type LoginThrottle, loginThrottle } from './login.js';
import { limitByIp } from './middleware.js';
import { DEFAULT_RATE_LIMIT_POLICY, type RateLimitPolicy, sessionMustEnd, type Window } from './policy.js';
import type { RateLimitHeaders } from './rate-limit-error.js';
import { assertFailsFast } from './redis-client.js';
import { createLimiter } from './store.js';

export interface RateLimitsOptions {
  /** Counters shared by every API instance; made with createFailFastRedis. Absent: in process. */
  redis?: Redis;
  /** Prepended to every Redis key, e.g. `skeleton:rl:`. */
  keyPrefix: string;
  /** The most API instances that may run at once: how much stricter each counts while Redis is down. */
  replicas?: number;
  /** Each section given replaces the default one whole. */
  policy?: Partial<RateLimitPolicy>;
  /** A request was refused; for a metric. */
  onLimited?: (scope: RateLimitScope) => void;
  /** A decision was made in process because Redis failed (0: the limiter exists); for a metric. */
  onFallback?: (limiter: string, decisions?: number) => void;
}

export interface RateLimits {
  /** Every request, per client address. Mount right inside the error mapper. */
  perIp: Middleware;
  /** Sign-ups per client address. Mount on POST /auth/register. */
  register: Middleware;
  /** Every check of a password: logins, and signed-in users confirming theirs. */
  login: LoginThrottle;
  /**
   * Counts a wrong password given by a signed-in session (its id, as the store knows it); answers
   * whether the session has now given as many as it may and must be ended.
   */
  countWrongPassword(sessionId: string): Promise<{ endSession: boolean }>;
  /**
   * Takes one refresh for the session a refresh token belongs to (its id, as the store knows it);
   * answers the headers to send, or throws the 429.
   */
  consumeRefresh(sessionId: string): Promise<RateLimitHeaders>;
}

/** Builds one app's limits; every call has its own in-process state, so app instances never share it. */
export function createRateLimits(options: RateLimitsOptions): RateLimits {
  const { redis, keyPrefix, replicas, onFallback } = options;
  if (redis !== undefined) assertFailsFast(redis);
  const policy: RateLimitPolicy = { ...DEFAULT_RATE_LIMIT_POLICY, ...options.policy };
  const onLimited = options.onLimited ?? (() => {});
  const store = { redis, keyPrefix, replicas, onFallback };
  const limit = (scope: RateLimitScope, window: Window) =>
    new Limit(scope, createLimiter(store, scope, window), onLimited);

  const refresh = limit('refresh', policy.refreshPerSession);
  const wrongPasswords = createLimiter(store, 'session_wrong_passwords', policy.wrongPasswordsPerSession);
  const { loginBackoff: backoff } = policy;
  return {
    perIp: limitByIp(limit('ip', policy.perIp)),
    register: limitByIp(limit('register', policy.registerPerIp)),
    login: loginThrottle({
      perIp: limit('login_ip', policy.loginPerIp),
      perClient: limit('login_client', policy.loginPerClientAndAccount),
      perAccount: limit('login_account', policy.loginPerAccount),
      // Its window is the run of failures up to the first block: counting alone while Redis is down,
      // an instance may weigh one failure that much, never enough to skip a step of the back-off.
      failures: createLimiter(store, 'login_failures', {
        points: backoff.freeFailures + 1,
        durationSeconds: backoff.memorySeconds,
      }),
      // Only ever blocked, never consumed: the block's own expiry is all that matters.
      blocks: createLimiter(store, 'login_block', { points: 0, durationSeconds: backoff.maxBlockSeconds }),
      backoff,
      onLimited,
    }),
    async countWrongPassword(sessionId) {
      const counted = await wrongPasswords.penalty(sessionKey(sessionId));
      return { endSession: sessionMustEnd(counted.consumedPoints, policy.wrongPasswordsPerSession) };
    },
    consumeRefresh: (sessionId) => refresh.consume(sessionKey(sessionId)),
  };
}
