/**
 * HTTP/2 beside HTTP/1.1: `npm run bench:http2`. The API runs twice from its sources, once as
 * HTTP/1.1 and once as h2c, on one database and one signing key, and each route is loaded over
 * both at the same number of requests in flight.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyEntry } from '../api/src/domain/tokens/key-set.js';
import { createTestDatabase, type TestDatabase } from '../api/test/support/database.js';
import { accessTokenFor } from './access-token.js';
import { runBench } from './entry.js';
import { maxConnections } from './fd-limit.js';
import { measureHttp2 } from './http2/closed-loop.js';
import { h2loadAvailable, measureWithH2load } from './http2/h2load.js';
import { streamsPerSession } from './http2/plan.js';
import { type Http2BenchContext, type ProtocolComparison, renderComparison } from './http2/report.js';
import { type Measurement, measure } from './load.js';
import { startApiServer, stopAllServers } from './processes.js';
import { writeResultFiles } from './report.js';
import { setting } from './settings.js';

const WARMUP_SECONDS = 2;

let database: TestDatabase | undefined;
let keysFolder: string | undefined;
let cleaning: Promise<void> | undefined;
// Servers first: dropping the database under a live API would only produce noise on its way out.
const cleanUp = () => {
  cleaning ??= stopAllServers()
    .then(() => database?.drop())
    .then(() => (keysFolder ? rm(keysFolder, { recursive: true, force: true }) : undefined));
  return cleaning;
};

/** One key set for both processes, so that one access token is good on either. */
async function sharedKeysFile(): Promise<string> {
  keysFolder = await mkdtemp(join(tmpdir(), 'skeleton-bench-http2-'));
  const file = join(keysFolder, 'keys.json');
  await writeFile(file, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  return file;
}

/** Other work on the machine takes CPU from every process measured: the load average says how much. */
function describeMachine(): string {
  const processors = cpus();
  const [load] = loadavg();
  return (
    `${processors[0]?.model.trim() ?? 'an unknown CPU'}, ${processors.length} cores, Node ${process.version} ` +
    `(load average ${load?.toFixed(1)} as the run began)`
  );
}

async function main(): Promise<void> {
  const concurrency = setting('BENCH_HTTP2_CONCURRENCY', 100);
  const sessions = setting('BENCH_HTTP2_SESSIONS', 4);
  streamsPerSession(concurrency, sessions);
  const limit = await maxConnections();
  if (limit !== undefined && concurrency > limit) {
    throw new Error(
      `BENCH_HTTP2_CONCURRENCY=${concurrency} needs more connections than the open-file limit allows (${limit})`,
    );
  }
  const context: Http2BenchContext = {
    durationSeconds: setting('BENCH_DURATION', 10),
    warmupSeconds: WARMUP_SECONDS,
    machine: describeMachine(),
    notes: [],
  };

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  // One address sending thousands of requests is exactly what the rate limits refuse.
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '20',
    RATE_LIMITS: 'off',
    JWT_KEYS_FILE: await sharedKeysFile(),
  };
  // One after the other: both would migrate the fresh database at start.
  const http1 = await startApiServer(env, { discardStdout: true });
  const h2c = await startApiServer(
    { ...env, HTTP_PROTOCOL: 'h2c' },
    { name: 'API over h2c', discardStdout: true },
  );
  const token = await accessTokenFor(http1.origin, `bench-${randomUUID()}@example.com`);

  const routes: Array<{ route: string; path: string; headers: Record<string, string> }> = [
    // The whole middleware stack with no database work behind it.
    { route: 'GET /health/live', path: '/health/live', headers: {} },
    {
      route: 'GET /api/v1/users/me',
      path: '/api/v1/users/me',
      headers: { authorization: `Bearer ${token}` },
    },
  ];
  // Requests abandoned by the load generator still queue on the server: let them drain first.
  const settle = () => Promise.all([http1.settle(), h2c.settle()]);

  const withH2load = await h2loadAvailable();
  if (!withH2load) {
    context.notes.push(
      'h2load is not installed (Debian: nghttp2-client): only the Node clients were measured.',
    );
  }
  const comparisons: ProtocolComparison[] = [];
  for (const { route, path, headers } of routes) {
    const scenario = (protocol: string, origin: string) => ({
      name: `${route} (${protocol})`,
      origin,
      path,
      headers,
      concurrency,
      sessions,
    });
    const measured = async (what: string, measurement: () => Promise<Measurement>) => {
      process.stderr.write(`measuring ${route}: ${what}…\n`);
      const result = await measurement();
      await settle();
      return result;
    };
    if (withH2load) {
      comparisons.push({
        route,
        concurrency,
        clients: { http1: 'h2load --h1', h2c: 'h2load' },
        http1: await measured('HTTP/1.1, h2load', () =>
          measureWithH2load(scenario('HTTP/1.1', http1.origin), 'http1', context),
        ),
        h2c: await measured('h2c, h2load', () =>
          measureWithH2load(scenario('h2c', h2c.origin), 'h2c', context),
        ),
      });
    }
    comparisons.push({
      route,
      concurrency,
      clients: { http1: 'autocannon', h2c: 'node:http2' },
      http1: await measured('HTTP/1.1, autocannon', () =>
        measure(
          { name: `${route} (HTTP/1.1)`, url: `${http1.origin}${path}`, connections: concurrency, headers },
          context,
        ),
      ),
      h2c: await measured('h2c, node:http2', () => measureHttp2(scenario('h2c', h2c.origin), context)),
    });
  }

  const markdown = renderComparison(comparisons, context);
  process.stdout.write(markdown);
  await writeResultFiles(
    'http2-latest',
    { generatedAt: new Date().toISOString(), node: process.version, sessions, ...context, comparisons },
    markdown,
  );
}

await runBench(main, cleanUp);
