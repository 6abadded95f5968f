import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import knexFactory, { type Knex } from 'knex';
import { generateKeyEntry } from '../api/src/domain/tokens/key-set.js';
import { createTestDatabase, type TestDatabase } from '../api/test/support/database.js';
import { percentile } from '../api/test/support/latencies.js';
import { accessTokenFor, JSON_HEADERS } from './access-token.js';
import { timeToReady } from './cold-start.js';
import {
  type ColdStarts,
  ENDPOINTS_REPORT_FILES,
  type EndpointsReport,
  renderEndpointsReport,
} from './endpoints-report.js';
import { runBench } from './entry.js';
import { maxConnections } from './fd-limit.js';
import { atLeastGoal, belowGoal, countGoal, type Goal, ratioGoal } from './goals.js';
import { argon2VerifyRate } from './hash-rate.js';
import { accountsFor, PASSWORD, storeAccounts } from './journeys/accounts.js';
import { journeyApiEnvironment, registerTemplate } from './journeys/api-environment.js';
import { sessionPlan } from './journeys/journey.js';
import { runLevel } from './journeys/level.js';
import { describeMachine } from './journeys/machine.js';
import type { LevelSummary } from './journeys/summary.js';
import { type Measurement, measure, type Scenario } from './load.js';
import { startApiServer, startBareKoa, stopAllServers } from './processes.js';
import type { Row } from './report.js';
import { setting } from './settings.js';

const WARMUP_SECONDS = 2;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_DIR = fileURLToPath(new URL('../api/', import.meta.url));
/** BENCH_REPORT_DIR moves a trial run's report away from the committed one. */
const REPORT_DIRECTORY = process.env.BENCH_REPORT_DIR
  ? pathToFileURL(`${resolve(process.env.BENCH_REPORT_DIR)}/`)
  : new URL('report/', import.meta.url);
/** The journey's accounts get addresses 10.<this>.x.y, apart from other levels'. */
const JOURNEY_LEVEL = 17;
/** Cold starts are timed a few times each; the median is reported. */
const COLD_STARTS = 3;

let database: TestDatabase | undefined;
let direct: Knex | undefined;
let redis: Redis | undefined;
let scratch: string | undefined;
let cleaning: Promise<void> | undefined;
// Servers first: dropping the database under a live API would only produce noise on its way out.
const cleanUp = () => {
  cleaning ??= stopAllServers().then(async () => {
    await direct?.destroy();
    redis?.disconnect();
    await database?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return cleaning;
};

/** The image runs the compiled API with plain node; so is it timed here. */
async function compileApi(): Promise<void> {
  process.stderr.write('compiling the API as the image does…\n');
  await promisify(execFile)(
    process.execPath,
    ['../node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
    {
      cwd: API_DIR,
    },
  );
}

/** The API as a pod runs it: production mode, JSON logs, a key file. */
async function productionEnvironment(databaseUrl: string, folder: string): Promise<Record<string, string>> {
  const keysFile = join(folder, 'keys.json');
  await writeFile(keysFile, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_KEYS_FILE: keysFile,
    JWT_ISSUER: 'https://accounts.example.test',
    SHUTDOWN_DELAY: '0s',
  };
}

/**
 * PostgreSQL as a pod starts (production, migrated by the Job), and PGlite as `npm start` on a
 * laptop: its first start creates and migrates the database, later ones open it.
 */
async function measureColdStarts(production: Record<string, string>, folder: string): Promise<ColdStarts> {
  await compileApi();
  const development = { NODE_ENV: 'development', PGLITE_DATA_DIR: join(folder, 'pglite'), LOG_LEVEL: 'warn' };
  const times = async (env: Record<string, string>) => {
    const measured: number[] = [];
    for (let run = 0; run < COLD_STARTS; run += 1)
      measured.push(await timeToReady('dist/main.js', API_DIR, env));
    return percentile(measured, 50);
  };
  process.stderr.write('timing cold starts…\n');
  const postgresMs = await times({ ...production, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn' });
  const pgliteFirstMs = await timeToReady('dist/main.js', API_DIR, development);
  return { postgresMs, pgliteFirstMs, pgliteMs: await times(development), runs: COLD_STARTS };
}

/**
 * The mixed journey (login, 5 × me, profile update, me, refresh, logout) at a person's pace of one
 * click a second, against the API as a pod runs it: rate limits in Redis, one address per user.
 */
async function measureJourney(databaseUrl: string, folder: string, knex: Knex): Promise<LevelSummary> {
  const users = setting('BENCH_JOURNEY_USERS', 1200);
  const environment = await journeyApiEnvironment({
    databaseUrl,
    redisUrl: REDIS_URL,
    redisKeyPrefix: `skeleton-bench-${randomUUID()}:`,
    folder,
  });
  const api = await startApiServer(environment, { discardStdout: true });
  try {
    const accounts = accountsFor(JOURNEY_LEVEL, users);
    await storeAccounts(knex, await registerTemplate(api), accounts);
    process.stderr.write(`${users} users on the mixed journey with a 1 s think time…\n`);
    return await runLevel({ origin: api.origin, issuesTokens: true }, accounts, {
      rampSeconds: setting('BENCH_JOURNEY_RAMP', 20),
      durationSeconds: setting('BENCH_JOURNEY_DURATION', 30),
      meanThinkTimeMs: setting('BENCH_JOURNEY_THINK_MS', 1000),
      plan: sessionPlan(5),
    });
  } finally {
    await stopAllServers();
  }
}

/** Until no password hash runs or waits on the API (its /metrics, served on its port here). */
async function untilHashingIdle(origin: string): Promise<void> {
  const busy = /^password_hash_jobs\{state="(running|waiting)"} [1-9]/m;
  for (;;) {
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    if (!busy.test(metrics)) return;
    await sleep(100);
  }
}

const successesPerSecond = (measurement: Measurement, seconds: number) =>
  (measurement.statusCodes['200'] ?? 0) / seconds;

interface Figures {
  health: Row;
  me: Row;
  login: Row;
  storm: Row;
  verifyRate: number;
  coldStarts: ColdStarts;
  journey: LevelSummary;
  durationSeconds: number;
}

function goalsOf({
  health,
  me,
  login,
  storm,
  verifyRate,
  coldStarts,
  journey,
  durationSeconds,
}: Figures): Goal[] {
  const baselineOf = (row: Row) => row.baseline?.requestsPerSecond ?? Number.NaN;
  const stormAnswers = Object.keys(storm.measurement.statusCodes).filter(
    (code) => !['200', '503'].includes(code),
  );
  return [
    ratioGoal(
      'GET /health/live, full middleware, ÷ bare Koa',
      health.measurement.requestsPerSecond,
      baselineOf(health),
      0.7,
    ),
    belowGoal(
      `GET /users/me at ${me.measurement.connections} connections: p95`,
      me.measurement.latencyMs.p95,
      200,
      'ms',
    ),
    belowGoal(
      `GET /users/me at ${me.measurement.connections} connections: p99`,
      me.measurement.latencyMs.p99,
      500,
      'ms',
    ),
    countGoal('GET /users/me: errors and non-2xx', me.measurement.errors + me.measurement.non2xx, 'failed'),
    ratioGoal(
      'GET /users/me ÷ bare Koa at the same connections',
      me.measurement.requestsPerSecond,
      baselineOf(me),
      0.3,
    ),
    ratioGoal(
      'Successful logins a second ÷ argon2id verifications a second on all cores',
      successesPerSecond(login.measurement, durationSeconds),
      verifyRate,
      0.8,
    ),
    countGoal(
      `Login storm at ${storm.measurement.connections} connections: answers other than 200 or 503, errors`,
      stormAnswers.reduce((sum, code) => sum + (storm.measurement.statusCodes[code] ?? 0), 0) +
        storm.measurement.errors,
      'other',
    ),
    belowGoal('Login storm: p99 of every answer', storm.measurement.latencyMs.p99, 1000, 'ms'),
    atLeastGoal(
      `Mixed journey, ${journey.users} users, 1 s think time: throughput`,
      journey.requestsPerSecond,
      1000,
      'req/s',
    ),
    belowGoal('Mixed journey: p95', journey.overall.p95, 200, 'ms'),
    belowGoal('Mixed journey: error rate', journey.errorRate * 100, 0.1, '%'),
    belowGoal('Cold start to ready, PostgreSQL (compiled, production)', coldStarts.postgresMs / 1000, 1, 's'),
    belowGoal('Cold start to ready, PGlite (compiled, existing data)', coldStarts.pgliteMs / 1000, 3, 's'),
  ];
}

async function main(): Promise<boolean> {
  const notes: string[] = [];
  const durationSeconds = setting('BENCH_DURATION', 10);
  const context = { durationSeconds, warmupSeconds: WARMUP_SECONDS, notes };
  const limit = await maxConnections();
  const connections = (name: string, fallback: number) => {
    const wanted = setting(name, fallback);
    if (limit === undefined || wanted <= limit) return wanted;
    notes.push(`${name}=${wanted} lowered to ${limit}: the hard open-file limit leaves room for no more.`);
    return limit;
  };
  const healthConnections = connections('BENCH_HEALTH_CONNECTIONS', 100);
  const userConnections = connections('BENCH_CONNECTIONS', 1000);
  // Below PASSWORD_HASH_QUEUE_MAX (40): every login is accepted, so this measures their rate.
  const loginConnections = connections('BENCH_LOGIN_CONNECTIONS', 32);
  const stormConnections = connections('BENCH_STORM_CONNECTIONS', 1000);

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  direct = knexFactory({ client: 'pg', connection: databaseUrl });
  redis = new Redis(REDIS_URL);
  scratch = await mkdtemp(join(tmpdir(), 'skeleton-bench-endpoints-'));
  const production = await productionEnvironment(databaseUrl, scratch);
  const [bare, api] = await Promise.all([
    startBareKoa(),
    startApiServer(
      {
        ...production,
        // The schema the migration Job would have made.
        MIGRATE_ON_START: 'true',
        // Access lines at debug: one line per request would measure the log pipe, not the API.
        LOG_LEVEL: 'warn',
        DATABASE_POOL_MAX: '20',
        // One address sending thousands of requests and logins is exactly what the limits refuse.
        RATE_LIMITS: 'off',
      },
      { discardStdout: true },
    ),
  ]);

  const email = `bench-${randomUUID()}@example.com`;
  const token = await accessTokenFor(api.origin, email);
  const login = (name: string, body: object, clients = loginConnections): Scenario => ({
    name,
    url: `${api.origin}/api/v1/auth/login`,
    connections: clients,
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
  const scenarios = {
    // The whole middleware stack (ids, logs, metrics, tracing, headers, CORS, errors) with no
    // database work behind it: its cost against bare Koa is the price of the hardening.
    health: { name: 'GET /health/live', url: `${api.origin}/health/live`, connections: healthConnections },
    me: {
      name: 'GET /api/v1/users/me',
      url: `${api.origin}/api/v1/users/me`,
      connections: userConnections,
      headers: { authorization: `Bearer ${token}` },
    },
    login: login('POST /api/v1/auth/login', { email, password: PASSWORD }),
    // The two failures must be indistinguishable in time as well as in body (enumeration).
    wrongPassword: login('POST /api/v1/auth/login, wrong password (401)', {
      email,
      password: 'not the password',
    }),
    unknownEmail: login('POST /api/v1/auth/login, unknown email (401)', {
      email: `nobody-${email}`,
      password: PASSWORD,
    }),
    storm: login('POST /api/v1/auth/login, storm', { email, password: PASSWORD }, stormConnections),
  } satisfies Record<string, Scenario>;

  // Requests abandoned by the load generator still queue on the server: let them drain so they
  // neither steal CPU from the next run nor fail noisily when the server is stopped.
  const settle = async () => {
    await Promise.all([bare.settle(), api.settle()]);
    await untilHashingIdle(api.origin);
  };
  const run = async (scenario: Scenario) => {
    process.stderr.write(`measuring ${scenario.name} at ${scenario.connections} connections…\n`);
    const measurement = await measure(scenario, context, settle);
    await settle();
    return measurement;
  };
  const measured: Partial<Record<keyof typeof scenarios, Row>> = {};
  // Not a goal: how far the API's headers and body alone take a server below bare Koa hello.
  const asApi = await run({
    name: 'bare Koa, the API’s headers and body',
    url: `${bare.origin}/as-api`,
    connections: healthConnections,
  });
  for (const [key, scenario] of Object.entries(scenarios) as [keyof typeof scenarios, Scenario][]) {
    // The baseline runs right before its scenario, at its connection count, so the two compare like with like.
    const baseline = await run({
      name: 'bare Koa hello',
      url: `${bare.origin}/`,
      connections: scenario.connections,
    });
    measured[key] = { measurement: await run(scenario), baseline };
  }
  await stopAllServers();

  process.stderr.write('measuring argon2id verifications on all cores…\n');
  const journey = await measureJourney(databaseUrl, scratch, direct);
  const hashing = await argon2VerifyRate(setting('BENCH_HASH_SECONDS', 5));
  const coldStarts = await measureColdStarts(production, scratch);
  const asApiRow: Row = { measurement: asApi, baseline: measured.health?.baseline };
  const rows = Object.entries(measured).flatMap(([key, row]) => {
    if (!row) return [];
    const baseline = row.baseline ? [{ measurement: row.baseline }] : [];
    return key === 'health' ? [...baseline, asApiRow, row] : [...baseline, row];
  });
  const required = (key: keyof typeof scenarios) => {
    const row = measured[key];
    if (!row) throw new Error(`no measurement of ${key}`);
    return row;
  };
  const figures: Figures = {
    health: required('health'),
    me: required('me'),
    login: required('login'),
    storm: required('storm'),
    verifyRate: hashing.perSecond,
    coldStarts,
    journey,
    durationSeconds,
  };
  const machine = await describeMachine(direct, redis);
  const goals = goalsOf(figures);
  const report: EndpointsReport = {
    generatedAt: new Date().toISOString(),
    machine,
    context,
    goals,
    rows,
    storm: figures.storm.measurement,
    argon2: hashing,
    journey,
    coldStarts,
  };
  const markdown = renderEndpointsReport(report);
  await mkdir(REPORT_DIRECTORY, { recursive: true });
  await writeFile(
    new URL(ENDPOINTS_REPORT_FILES.json, REPORT_DIRECTORY),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  await writeFile(new URL(ENDPOINTS_REPORT_FILES.markdown, REPORT_DIRECTORY), markdown);
  process.stdout.write(markdown);
  return goals.every((goal) => goal.pass);
}

await runBench(main, cleanUp);
