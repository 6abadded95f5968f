import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { NO_QUERY_CACHE, redisQueryCache } from './cache/query-cache.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { connectDatabase, type Database } from './db/connect.js';
import { migrationConfig } from './db/migration-source.js';
import { databaseReadiness } from './db/readiness.js';
import { type ResilienceSettings, ResilientDatabase } from './db/resilient-database.js';
import { type StartupWait, waitForDatabase } from './db/wait-for-database.js';
import { argon2idHasher, limitHashing, type PasswordHasher } from './domain/passwords/password-hasher.js';
import { AccessTokenService } from './domain/tokens/access-tokens.js';
import { DeviceTokenService } from './domain/tokens/device-tokens.js';
import { generateKeyEntry, type KeySet, parseKeySet } from './domain/tokens/key-set.js';
import { type KeySetReloader, startKeySetReloader } from './domain/tokens/key-set-reloader.js';
import { DEVICE_COOKIE_MAX_AGE_SECONDS, deviceCookies } from './http/device-cookie.js';
import { authAudit } from './http/middleware/auth-audit.js';
import { passwordChecks } from './http/password-checks.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { instrumentDatabase } from './observability/database-metrics.js';
import { emailHasher, loadEmailHashKey } from './observability/email-hash.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { rateLimitsFor } from './rate-limits/for-runtime.js';
import type { RateLimitPolicy } from './rate-limits/policy.js';
import { createFailFastRedis } from './rate-limits/redis-client.js';
import { SessionRepository } from './repositories/session-repository.js';
import { UserRepository } from './repositories/user-repository.js';
import { AccountService, USER_LISTING } from './services/account-service.js';
import { AuthService } from './services/auth-service.js';
import { PrincipalCache } from './services/principal-cache.js';
import { principalLookup } from './services/principal-lookup.js';
import {
  invalidationChannel,
  localInvalidations,
  redisInvalidations,
  type UserInvalidations,
} from './services/user-invalidations.js';

export interface Runtime {
  app: Koa;
  database: Database;
  metrics: Metrics;
  lifecycle: Lifecycle;
  keys: () => KeySet;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  clock: Clock;
  hasher?: PasswordHasher;
  /** How long start-up waits for the database; tests shorten it. */
  databaseStartupWait?: Partial<Omit<StartupWait, 'onRetry'>>;
  /** Retry and circuit-breaker settings; tests shorten the breaker's open time. */
  databaseResilience?: Partial<ResilienceSettings>;
  /** Replaces sections of the default rate-limit policy; tests loosen or tighten it. */
  rateLimitPolicy?: Partial<RateLimitPolicy>;
}

/** About 1 KiB each: ten thousand live sessions in about 10 MiB. */
const PRINCIPAL_CACHE_MAX_ENTRIES = 10_000;

/** Every instance hears of every user change: through Redis when it is shared, directly when alone. */
function userInvalidations(config: Config, cache: PrincipalCache, logger: Logger): UserInvalidations {
  if (config.redisUrl === undefined) return localInvalidations(cache);
  return redisInvalidations(config.redisUrl, invalidationChannel(config.redisKeyPrefix), cache, logger);
}

/** The key set, reloaded whenever JWT_KEYS_FILE changes (the operator rotates it). */
async function openKeySet(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  clock: Clock,
): Promise<Pick<KeySetReloader, 'keys' | 'close'>> {
  const { keysFile, keysCheckIntervalSeconds } = config.jwt;
  if (keysFile) {
    return startKeySetReloader({
      path: keysFile,
      logger,
      metrics,
      clock,
      checkIntervalMs: keysCheckIntervalSeconds * 1000,
    });
  }
  logger.warn(
    'JWT_KEYS_FILE is not set: signing with an ephemeral development key; tokens will not survive a restart',
  );
  const keySet = await parseKeySet({ keys: [await generateKeyEntry('current')] });
  metrics.observeKeySet(keySet, clock());
  return { keys: () => keySet, close: async () => {} };
}

/**
 * The key of the email hash in logs. Without its table (the API started ahead of its migration) it
 * logs a warning and uses a key of its own: hashes then differ between processes, but lines are
 * never lost.
 */
async function emailHashKey(knex: Knex, logger: Logger): Promise<Buffer> {
  try {
    return await loadEmailHashKey(knex);
  } catch (error) {
    logger.warn({ err: error }, 'no log key in the database: email hashes in logs are per process');
    return randomBytes(32);
  }
}

/** Builds the whole API from its configuration: database, keys, repositories, services, app. */
export async function createRuntime(
  config: Config,
  {
    logger,
    clock,
    hasher = argon2idHasher,
    databaseStartupWait,
    databaseResilience,
    rateLimitPolicy,
  }: RuntimeOptions,
) {
  const metrics = createMetrics();
  const keySet = await openKeySet(config, logger, metrics, clock);
  const { keys } = keySet;
  const database = connectDatabase(config.database, logger);
  const { knex } = database;
  try {
    await waitForDatabase(database, {
      ...databaseStartupWait,
      onRetry: ({ attempt, delayMs, error }) =>
        logger.warn(
          { database: database.location, attempt, delayMs, err: error },
          'database not reachable yet; waiting',
        ),
    });
    if (config.database.migrateOnStart) {
      const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
      if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');
    }
  } catch (error) {
    await keySet.close();
    await knex.destroy();
    throw error;
  }
  const hashEmail = emailHasher(await emailHashKey(knex, logger));
  instrumentDatabase(knex, metrics);
  const lifecycle = createLifecycle();
  const resilient = new ResilientDatabase(knex, databaseResilience);
  metrics.watchBreaker(() => resilient.breakerState);
  resilient.onBreakerStateChange((state) =>
    logger[state === 'closed' ? 'info' : 'warn']({ breaker: state }, `database circuit breaker ${state}`),
  );
  const principalCache = new PrincipalCache({
    ttlSeconds: config.principalCacheTtlSeconds,
    maxEntries: PRINCIPAL_CACHE_MAX_ENTRIES,
  });
  const invalidations = userInvalidations(config, principalCache, logger);
  const cacheRedis =
    config.redisUrl === undefined
      ? undefined
      : createFailFastRedis(config.redisUrl, (err) =>
          logger.warn({ err }, 'query-cache Redis unreachable: reading from the database'),
        );
  const queryCache = cacheRedis
    ? redisQueryCache(cacheRedis, config.redisKeyPrefix, metrics.recordQueryCacheRead)
    : NO_QUERY_CACHE;
  // A changed account changes its principal and the listing; an ended session only its principal.
  const accountsChanged = (userIds: readonly string[]) => {
    invalidations.publish(userIds);
    // On the connection the listing reads on, so this instance's next read comes after it.
    void queryCache.invalidate(USER_LISTING);
  };
  const users = new UserRepository(resilient, accountsChanged);
  const sessions = new SessionRepository(resilient, invalidations.publish);
  const accessTokens = new AccessTokenService(
    keys,
    {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTokenTtlSeconds,
      clockSkewSeconds: config.jwt.accessTokenClockSkewSeconds,
    },
    clock,
  );
  const rateLimits = rateLimitsFor(
    {
      enabled: config.rateLimitsEnabled,
      redisUrl: config.redisUrl,
      redisKeyPrefix: config.redisKeyPrefix,
      replicas: config.rateLimitReplicas,
      policy: rateLimitPolicy,
    },
    metrics,
    logger,
  );
  const recordEvent = metrics.recordAuthEvent;
  // One queue for the whole process: logins, registrations, password changes and deletions share it.
  const passwords = limitHashing(hasher, {
    maxConcurrent: config.passwordHashConcurrency,
    maxWaiting: config.passwordHashQueueMax,
    retryAfterSeconds: config.passwordHashRetryAfterSeconds,
    onRefused: metrics.recordPasswordHashRefusal,
  });
  metrics.watchPasswordHashing(() => ({ running: passwords.running, waiting: passwords.waiting }));
  const auth = new AuthService({
    database: resilient,
    users,
    sessions,
    findPrincipal: principalLookup({
      cache: principalCache,
      findLive: (sessionId, userId, now) => sessions.findPrincipal(sessionId, userId, now),
      record: metrics.recordPrincipalLookup,
    }),
    hasher: passwords,
    accessTokens,
    keys,
    settings: config.refreshTokens,
    clock,
    recordEvent,
    throttleRefresh: rateLimits.limits.consumeRefresh,
    logger,
  });
  const accounts = new AccountService({
    database: resilient,
    users,
    sessions,
    hasher: passwords,
    clock,
    recordEvent,
    cache: queryCache,
  });
  const devices = new DeviceTokenService(
    keys,
    { issuer: config.jwt.issuer, ttlSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS },
    clock,
  );
  const app = createApp({
    logger,
    audit: authAudit(logger, hashEmail),
    auth,
    accounts,
    keys,
    metrics,
    lifecycle,
    readiness: async () =>
      lifecycle.draining ? { ready: false, checks: { lifecycle: 'draining' } } : databaseReadiness(resilient),
    bodyLimitBytes: config.bodyLimitBytes,
    authRoutes: {
      allowedOrigins: config.corsOrigins,
      refreshCookieMaxAgeSeconds: config.refreshTokens.idleTtlSeconds,
    },
    rateLimits: rateLimits.limits,
    passwordChecks: passwordChecks({
      limits: rateLimits.limits,
      devices: deviceCookies(devices),
      endSession: (principal) => accounts.endSessionAfterWrongPasswords(principal),
    }),
    corsOrigins: config.corsOrigins,
    trustProxyHops: config.trustProxyHops,
    serveMetrics: config.metricsPort === undefined,
  });
  const runtime: Runtime = {
    app,
    database,
    metrics,
    lifecycle,
    keys,
    async close() {
      await keySet.close();
      await rateLimits.close();
      await invalidations.close();
      cacheRedis?.disconnect();
      await knex.destroy();
    },
  };
  return runtime;
}
