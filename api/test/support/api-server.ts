import test from 'ava';
import type { DestinationStream } from 'pino';
import { listenForApi, loadProtocol } from '../../src/api-listener.js';
import { systemClock } from '../../src/clock.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { createLogger } from '../../src/logger.js';
import type { RateLimitPolicy } from '../../src/rate-limits/policy.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createResponseValidator } from './openapi-validator.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies.
  body: any;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** A raw body sent as is (for malformed-input tests); otherwise `json` is serialised. */
  raw?: string;
  json?: unknown;
}

export interface TestApi {
  /** http://127.0.0.1:port, or https:// with TLS_CERT_FILE and TLS_KEY_FILE. */
  baseUrl: string;
  runtime: Runtime;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

/**
 * Starts the real API (config parsing, database, migrations, keys, app) on a random port.
 * `env` holds the environment the API would read; DATABASE_URL unset means PGlite.
 */
const OUT_OF_THE_WAY = { points: 1_000_000, durationSeconds: 1 };

/**
 * Suites that are not about rate limits make hundreds of requests from one address; the limiter
 * still runs (its cost and its headers stay in the picture) but never refuses them.
 */
const LIMITS_OUT_OF_THE_WAY: Partial<RateLimitPolicy> = {
  perIp: OUT_OF_THE_WAY,
  registerPerIp: OUT_OF_THE_WAY,
  loginPerIp: OUT_OF_THE_WAY,
  loginPerClientAndAccount: OUT_OF_THE_WAY,
  loginPerAccount: OUT_OF_THE_WAY,
  loginBackoff: { freeFailures: 1_000_000, firstBlockSeconds: 1, maxBlockSeconds: 1, memorySeconds: 1 },
  wrongPasswordsPerSession: OUT_OF_THE_WAY,
  refreshPerSession: OUT_OF_THE_WAY,
};

export type TestApiOptions = Partial<Omit<RuntimeOptions, 'logger'>> & {
  /** Where the API's log lines go (tests that read them); otherwise they are discarded. */
  logDestination?: DestinationStream;
  /**
   * Check every answer against the OpenAPI document: `request()` throws on one the document does
   * not describe, so the failure names the request that got it.
   */
  validateResponses?: boolean;
};

export async function startApi(env: Record<string, string>, options: TestApiOptions = {}): Promise<TestApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    ...env,
  });
  const protocol = await loadProtocol(config.protocol);
  const runtime = await createRuntime(config, {
    logger: createLogger({ level: config.logLevel, format: 'json' }, options.logDestination),
    clock: options.clock ?? systemClock,
    hasher: options.hasher,
    databaseStartupWait: options.databaseStartupWait,
    databaseResilience: options.databaseResilience,
    rateLimitPolicy: options.rateLimitPolicy ?? LIMITS_OUT_OF_THE_WAY,
  });
  // The server main.ts runs, with its timeouts (Node's default 5 s keep-alive would race clients
  // reusing an idle connection just as the server closes it) and the protocol `env` asks for.
  const listener = await listenForApi(runtime.app.callback(), '127.0.0.1', 0, protocol);
  const baseUrl = listener.url;
  const validateResponse = options.validateResponses
    ? createResponseValidator(buildOpenApiDocument())
    : undefined;

  return {
    baseUrl,
    runtime,
    async request(method, path, { token, headers = {}, raw, json } = {}) {
      const allHeaders: Record<string, string> = { ...headers };
      if (token) allHeaders.authorization = `Bearer ${token}`;
      let body: string | undefined = raw;
      if (json !== undefined) {
        body = JSON.stringify(json);
        allHeaders['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${baseUrl}${path}`, { method, headers: allHeaders, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: tests assert on the raw text.
      }
      const problems =
        validateResponse?.({
          method,
          path: path.split('?')[0] ?? path,
          status: response.status,
          body: parsed,
        }) ?? [];
      if (problems.length > 0) {
        throw new Error(
          `The answer does not match the OpenAPI document:\n  ${problems.join('\n  ')}\nbody: ${text}`,
        );
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async close() {
      await listener.close(0);
      await runtime.close();
    },
  };
}

export interface ApiSuite {
  api: TestApi;
  database: TestDatabase;
}

/**
 * For a test file: a database of its own and the API on it, started before the first test and
 * torn down after the last. The returned object is filled in by the `before` hook.
 */
export function apiOnFreshDatabase(env: Record<string, string> = {}, options: TestApiOptions = {}): ApiSuite {
  const suite = {} as ApiSuite;
  test.before(async () => {
    suite.database = await createTestDatabase();
    suite.api = await startApi({ DATABASE_URL: suite.database.url, ...env }, options);
  });
  test.after.always(async () => {
    await suite.api?.close();
    await suite.database?.drop();
  });
  return suite;
}
