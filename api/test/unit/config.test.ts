import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

test('defaults make a working development configuration', (t) => {
  const config = loadConfig({});
  t.like(config, {
    env: 'development',
    host: '127.0.0.1',
    port: 3000,
    logLevel: 'debug',
    logFormat: 'pretty',
  });
  t.is(config.database.url, undefined);
  t.true(config.database.migrateOnStart);
  t.is(config.jwt.accessTokenTtlSeconds, 900);
  t.is(config.jwt.accessTokenClockSkewSeconds, 30);
  t.is(config.jwt.keysCheckIntervalSeconds, 10);
  t.is(config.passwordHashConcurrency, 2);
  t.is(config.passwordHashQueueMax, 40, 'twenty waiting hashes per slot');
  t.is(config.passwordHashRetryAfterSeconds, 1);
  t.deepEqual(config.refreshTokens, {
    idleTtlSeconds: 604_800,
    absoluteTtlSeconds: 2_592_000,
    reuseGraceSeconds: 3,
  });
});

test('values are read from the environment and converted', (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://u:p@db:5432/app',
    ACCESS_TOKEN_TTL: '5m',
    ACCESS_TOKEN_CLOCK_SKEW: '0s',
    REFRESH_TOKEN_REUSE_GRACE: '30s',
    MIGRATE_ON_START: 'false',
    JWT_KEYS_CHECK_INTERVAL: '1m',
    PASSWORD_HASH_CONCURRENCY: '4',
    PASSWORD_HASH_RETRY_AFTER: '5s',
  });
  t.like(config, { host: '0.0.0.0', port: 8080 });
  t.is(config.database.url, 'postgres://u:p@db:5432/app');
  t.false(config.database.migrateOnStart);
  t.is(config.jwt.accessTokenTtlSeconds, 300);
  t.is(config.jwt.accessTokenClockSkewSeconds, 0);
  t.is(config.refreshTokens.reuseGraceSeconds, 30);
  t.is(loadConfig({ REFRESH_TOKEN_REUSE_GRACE: '0s' }).refreshTokens.reuseGraceSeconds, 0, 'no grace at all');
  t.is(config.jwt.keysCheckIntervalSeconds, 60);
  t.is(config.passwordHashConcurrency, 4);
  t.is(config.passwordHashQueueMax, 80, 'the default bound follows the concurrency');
  t.is(config.passwordHashRetryAfterSeconds, 5);
});

test('the password-hashing queue bound may be set, down to no waiting at all', (t) => {
  t.is(loadConfig({ PASSWORD_HASH_QUEUE_MAX: '7' }).passwordHashQueueMax, 7);
  t.is(loadConfig({ PASSWORD_HASH_QUEUE_MAX: '0' }).passwordHashQueueMax, 0);
  t.is(loadConfig({ PASSWORD_HASH_QUEUE_MAX: '' }).passwordHashQueueMax, 40);
});

test('a bad value is reported with the name of its variable', (t) => {
  t.true(problemsOf({ PORT: 'eighty' })[0]?.startsWith('PORT:'));
  t.true(problemsOf({ PORT: '70000' })[0]?.startsWith('PORT:'));
  t.true(problemsOf({ DATABASE_URL: 'mysql://x' })[0]?.startsWith('DATABASE_URL:'));
  t.true(problemsOf({ ACCESS_TOKEN_TTL: '15 minutes' })[0]?.startsWith('ACCESS_TOKEN_TTL:'));
  t.true(problemsOf({ ACCESS_TOKEN_CLOCK_SKEW: '-1s' })[0]?.startsWith('ACCESS_TOKEN_CLOCK_SKEW:'));
  t.true(problemsOf({ LOG_LEVEL: 'loud' })[0]?.startsWith('LOG_LEVEL:'));
  t.true(problemsOf({ NODE_ENV: 'staging' })[0]?.startsWith('NODE_ENV:'));
  t.true(problemsOf({ PASSWORD_HASH_CONCURRENCY: '0' })[0]?.startsWith('PASSWORD_HASH_CONCURRENCY:'));
  t.true(problemsOf({ REFRESH_TOKEN_REUSE_GRACE: '3' })[0]?.startsWith('REFRESH_TOKEN_REUSE_GRACE:'));
  t.true(problemsOf({ PASSWORD_HASH_QUEUE_MAX: '-1' })[0]?.startsWith('PASSWORD_HASH_QUEUE_MAX:'));
  t.true(problemsOf({ PASSWORD_HASH_QUEUE_MAX: 'many' })[0]?.startsWith('PASSWORD_HASH_QUEUE_MAX:'));
  t.true(problemsOf({ PASSWORD_HASH_RETRY_AFTER: '0s' })[0]?.startsWith('PASSWORD_HASH_RETRY_AFTER:'));
  const message = t.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' }), {
    instanceOf: ConfigError,
  })?.message;
  t.regex(message ?? '', /PORT/);
  t.regex(message ?? '', /LOG_LEVEL/);
});

test('production refuses to start on development defaults', (t) => {
  const problems = problemsOf({ NODE_ENV: 'production' });
  t.deepEqual(
    problems.map((problem) => problem.split(':')[0]),
    ['DATABASE_URL', 'JWT_KEYS_FILE', 'JWT_ISSUER'],
  );
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://db/app',
    JWT_KEYS_FILE: '/etc/skeleton/keys/keys.json',
    JWT_ISSUER: 'https://accounts.example.com',
  });
  t.like(config, { env: 'production', host: '0.0.0.0', logLevel: 'info', logFormat: 'json' });
  t.is(config.shutdownDelaySeconds, 5);
  t.false(config.database.migrateOnStart);
});

test('empty strings count as unset', (t) => {
  t.is(loadConfig({ DATABASE_URL: '', HOST: '' }).database.url, undefined);
  t.is(
    problemsOf({ NODE_ENV: 'production', DATABASE_URL: ' ', JWT_KEYS_FILE: 'k', JWT_ISSUER: 'i' })[0]?.split(
      ':',
    )[0],
    'DATABASE_URL',
  );
});

test('RATE_LIMIT_REPLICAS is 1 unless set, and a whole number from 1', (t) => {
  t.is(loadConfig({}).rateLimitReplicas, 1);
  t.is(loadConfig({ RATE_LIMIT_REPLICAS: '10' }).rateLimitReplicas, 10);
  for (const bad of ['0', '2.5', 'ten'])
    t.true(problemsOf({ RATE_LIMIT_REPLICAS: bad })[0]?.startsWith('RATE_LIMIT_REPLICAS:'), bad);
});

test('the port speaks HTTP/1.1 unless HTTP_PROTOCOL says h2c; both TLS files make it TLS', (t) => {
  t.deepEqual(loadConfig({}).protocol, { kind: 'http1' });
  t.deepEqual(loadConfig({ HTTP_PROTOCOL: 'http1' }).protocol, { kind: 'http1' });
  t.deepEqual(loadConfig({ HTTP_PROTOCOL: 'h2c' }).protocol, { kind: 'h2c' });
  t.deepEqual(loadConfig({ HTTP_PROTOCOL: '' }).protocol, { kind: 'http1' });
  t.deepEqual(loadConfig({ TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key' }).protocol, {
    kind: 'tls',
    certFile: '/tls/tls.crt',
    keyFile: '/tls/tls.key',
  });
});

test('TLS settings that do not go together are refused by name', (t) => {
  t.deepEqual(
    problemsOf({ HTTP_PROTOCOL: 'h2' }).map((problem) => problem.split(':')[0]),
    ['HTTP_PROTOCOL'],
  );
  t.deepEqual(problemsOf({ TLS_CERT_FILE: '/tls/tls.crt' }), [
    'TLS_KEY_FILE: is required with TLS_CERT_FILE: TLS needs the certificate and its private key',
  ]);
  t.deepEqual(problemsOf({ TLS_KEY_FILE: '/tls/tls.key', TLS_CERT_FILE: ' ' }), [
    'TLS_CERT_FILE: is required with TLS_KEY_FILE: TLS needs the certificate and its private key',
  ]);
  const both = { TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key' };
  for (const protocol of ['h2c', 'http1']) {
    t.regex(
      problemsOf({ ...both, HTTP_PROTOCOL: protocol })[0] ?? '',
      /^HTTP_PROTOCOL: must be unset with TLS_CERT_FILE and TLS_KEY_FILE/,
      protocol,
    );
  }
});
