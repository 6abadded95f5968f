import { z } from 'zod';
import { defaultHashQueueMax } from './domain/passwords/hash-queue-bound.js';
import { parseDurationSeconds } from './duration.js';

const durationText = (minimumSeconds: number) =>
  z.string().transform((text, ctx) => {
    const seconds = parseDurationSeconds(text);
    if (seconds === undefined || seconds < minimumSeconds) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 15m, 720h or 10s (got "${text}")`,
      });
      return z.NEVER;
    }
    return seconds;
  });

const duration = (fallback: string) => z.string().default(fallback).pipe(durationText(1));

/** An origin is scheme, host and port only: what browsers send in the Origin header. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((text) => (text === '' ? undefined : text));

const environmentFields = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: optionalText,
  PORT: port(3000),
  HTTP_PROTOCOL: optionalText.pipe(z.enum(['http1', 'h2c']).optional()),
  TLS_CERT_FILE: optionalText,
  TLS_KEY_FILE: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  METRICS_PORT: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(65_535).optional()),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((list, ctx) => {
      const origins = list
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
      for (const origin of origins) {
        if (!isOrigin(origin)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${origin}" is not an origin such as https://app.example.com`,
          });
        }
      }
      return origins;
    }),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  RATE_LIMIT_REPLICAS: z.coerce.number().int().min(1).max(1000).default(1),
  REDIS_KEY_PREFIX: z.string().trim().min(1).default('skeleton:'),
  REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  SHUTDOWN_DELAY: durationText(0).optional(),
  SHUTDOWN_TIMEOUT: duration('20s'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(z.url('must be a URL').optional()),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('skeleton-api'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  MIGRATE_ON_START: z.enum(['true', 'false']).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  DATABASE_QUERY_TIMEOUT: duration('5s'),
  PGLITE_DATA_DIR: z.string().trim().min(1).default('.data/pglite'),
  JWT_KEYS_FILE: optionalText,
  JWT_KEYS_CHECK_INTERVAL: duration('10s'),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: z.string().trim().min(1).default('skeleton-api'),
  ACCESS_TOKEN_TTL: duration('15m'),
  ACCESS_TOKEN_CLOCK_SKEW: z.string().default('30s').pipe(durationText(0)),
  // How long a replica answers "is this session still live?" from memory. Changes made through the
  // API reach every replica at once (Redis pub/sub, or the one process); the TTL bounds only what
  // bypasses it, such as a row edited by hand. 0s asks the database on every request.
  PRINCIPAL_CACHE_TTL: z.string().default('10s').pipe(durationText(0)),
  REFRESH_TOKEN_IDLE_TTL: duration('7d'),
  REFRESH_TOKEN_ABSOLUTE_TTL: duration('30d'),
  // Long enough for one client racing itself (two tabs refreshing at once, a retry after a lost
  // answer: a round trip or two), short because every second of it is a second in which a copied
  // token is answered instead of detected. Supabase uses 10 s; 0s turns the grace off, as Hydra's
  // default does.
  REFRESH_TOKEN_REUSE_GRACE: z.string().default('3s').pipe(durationText(0)),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(16_384),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  PASSWORD_HASH_QUEUE_MAX: optionalText.pipe(
    z.coerce.number<string | undefined>().int().min(0).max(10_000).optional(),
  ),
  PASSWORD_HASH_RETRY_AFTER: duration('1s'),
});

type Environment = z.output<typeof environmentFields>;

/**
 * Each of these has a development fallback (PGlite, an ephemeral key, a made-up issuer) that would
 * silently lose data or invalidate every token on restart in production.
 */
const requiredInProduction =
  (names: readonly (keyof Environment)[]) => (env: Partial<Environment>, ctx: z.RefinementCtx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const name of names) {
      if (env[name] === undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required when NODE_ENV=production' });
      }
    }
  };

/**
 * TLS takes a certificate and its key, and then each client picks HTTP/2 or HTTP/1.1 in the TLS
 * handshake (ALPN), which leaves nothing for HTTP_PROTOCOL to choose.
 */
function tlsSettingsAgree(env: Partial<Environment>, ctx: z.RefinementCtx): void {
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } = env;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [missing, present] =
      certFile === undefined ? ['TLS_CERT_FILE', 'TLS_KEY_FILE'] : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: `is required with ${present}: TLS needs the certificate and its private key`,
    });
  }
  if (certFile !== undefined && keyFile !== undefined && env.HTTP_PROTOCOL !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_PROTOCOL'],
      message: 'must be unset with TLS_CERT_FILE and TLS_KEY_FILE: over TLS each client picks h2 or http/1.1',
    });
  }
}

const environmentSchema = environmentFields
  .superRefine(requiredInProduction(['DATABASE_URL', 'JWT_KEYS_FILE', 'JWT_ISSUER']))
  .superRefine(tlsSettingsAgree);

/** What the migration CLI reads: the database alone (the migration Job carries no signing keys). */
const databaseEnvironmentSchema = environmentFields
  .pick({
    NODE_ENV: true,
    DATABASE_URL: true,
    MIGRATE_ON_START: true,
    DATABASE_POOL_MAX: true,
    DATABASE_QUERY_TIMEOUT: true,
    PGLITE_DATA_DIR: true,
  })
  .superRefine(requiredInProduction(['DATABASE_URL']));

/** A developer wants to see everything, a test run only trouble, production the traffic. */
const DEFAULT_LOG_LEVEL = { development: 'debug', test: 'warn', production: 'info' } as const;

/**
 * How the API's port speaks HTTP: HTTP/1.1; cleartext HTTP/2 with prior knowledge (h2c), for an
 * ingress or mesh that speaks it to its backends; or TLS, where each client picks h2 or http/1.1.
 */
export type ServerProtocol =
  | { kind: 'http1' }
  | { kind: 'h2c' }
  | { kind: 'tls'; certFile: string; keyFile: string };

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  protocol: ServerProtocol;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  metricsPort?: number;
  corsOrigins: string[];
  trustProxyHops: number;
  redisUrl?: string;
  rateLimitsEnabled: boolean;
  /** The most instances that may run at once: while Redis is unreachable each counts this much stricter. */
  rateLimitReplicas: number;
  /** Keeps apps that share one Redis from sharing their counters. */
  redisKeyPrefix: string;
  /** How long to keep serving after SIGTERM while load balancers take the instance out. */
  shutdownDelaySeconds: number;
  /** How long in-flight requests may take to finish once the listener has closed. */
  shutdownTimeoutSeconds: number;
  telemetry: { otlpEndpoint?: string; serviceName: string };
  database: {
    url?: string;
    poolMax: number;
    pgliteDataDir: string;
    migrateOnStart: boolean;
    queryTimeoutSeconds: number;
  };
  jwt: {
    keysFile?: string;
    /** How often the key-set file is read even when no change was seen (missed inotify events). */
    keysCheckIntervalSeconds: number;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    /** How far ahead of this replica's clock another replica's may be when it issues a token. */
    accessTokenClockSkewSeconds: number;
  };
  refreshTokens: { idleTtlSeconds: number; absoluteTtlSeconds: number; reuseGraceSeconds: number };
  /** How long a live principal is answered from memory; 0 turns the cache off. */
  principalCacheTtlSeconds: number;
  bodyLimitBytes: number;
  /** Password hashes computed at once; the rest wait (see limitHashing). */
  passwordHashConcurrency: number;
  /** Password hashes that may wait; the next request that needs one is answered 503 at once. */
  passwordHashQueueMax: number;
  /** The Retry-After of that 503. */
  passwordHashRetryAfterSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parsed<T>(schema: z.ZodType<T>, source: NodeJS.ProcessEnv): T {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return result.data;
}

function databaseConfig(env: z.output<typeof databaseEnvironmentSchema>): Config['database'] {
  return {
    url: env.DATABASE_URL,
    poolMax: env.DATABASE_POOL_MAX,
    pgliteDataDir: env.PGLITE_DATA_DIR,
    // In production the migration Job owns schema changes; elsewhere start-up brings the schema up.
    migrateOnStart:
      env.MIGRATE_ON_START === undefined ? env.NODE_ENV !== 'production' : env.MIGRATE_ON_START === 'true',
    queryTimeoutSeconds: env.DATABASE_QUERY_TIMEOUT,
  };
}

/** The database settings alone, for the migration CLI; every problem is reported together. */
export function loadDatabaseConfig(source: NodeJS.ProcessEnv = process.env): Config['database'] {
  return databaseConfig(parsed(databaseEnvironmentSchema, source));
}

function serverProtocol(env: Environment): ServerProtocol {
  if (env.TLS_CERT_FILE !== undefined && env.TLS_KEY_FILE !== undefined) {
    return { kind: 'tls', certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE };
  }
  return { kind: env.HTTP_PROTOCOL ?? 'http1' };
}

/** Reads the whole configuration from the environment once; every problem is reported together. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env = parsed(environmentSchema, source);
  const production = env.NODE_ENV === 'production';
  return {
    env: env.NODE_ENV,
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: env.PORT,
    protocol: serverProtocol(env),
    logLevel: env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL[env.NODE_ENV],
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    metricsPort: env.METRICS_PORT,
    corsOrigins: env.CORS_ORIGINS,
    trustProxyHops: env.TRUST_PROXY_HOPS,
    redisUrl: env.REDIS_URL,
    rateLimitsEnabled: env.RATE_LIMITS === 'on',
    rateLimitReplicas: env.RATE_LIMIT_REPLICAS,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    shutdownDelaySeconds: env.SHUTDOWN_DELAY ?? (production ? 5 : 0),
    shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT,
    telemetry: { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
    database: databaseConfig(env),
    jwt: {
      keysFile: env.JWT_KEYS_FILE,
      keysCheckIntervalSeconds: env.JWT_KEYS_CHECK_INTERVAL,
      issuer: env.JWT_ISSUER ?? 'skeleton-dev',
      audience: env.JWT_AUDIENCE,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL,
      accessTokenClockSkewSeconds: env.ACCESS_TOKEN_CLOCK_SKEW,
    },
    refreshTokens: {
      idleTtlSeconds: env.REFRESH_TOKEN_IDLE_TTL,
      absoluteTtlSeconds: env.REFRESH_TOKEN_ABSOLUTE_TTL,
      reuseGraceSeconds: env.REFRESH_TOKEN_REUSE_GRACE,
    },
    principalCacheTtlSeconds: env.PRINCIPAL_CACHE_TTL,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
    passwordHashQueueMax: env.PASSWORD_HASH_QUEUE_MAX ?? defaultHashQueueMax(env.PASSWORD_HASH_CONCURRENCY),
    passwordHashRetryAfterSeconds: env.PASSWORD_HASH_RETRY_AFTER,
  };
}
