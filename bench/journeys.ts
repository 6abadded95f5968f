import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import knexFactory, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../api/test/support/database.js';
import { runBench } from './entry.js';
import { maxConnections } from './fd-limit.js';
import { accountsFor, storeAccounts } from './journeys/accounts.js';
import { journeyApiEnvironment, registerTemplate } from './journeys/api-environment.js';
import { sessionPlan } from './journeys/journey.js';
import { type LevelSettings, runLevel } from './journeys/level.js';
import { describeMachine } from './journeys/machine.js';
import {
  type LevelResult,
  type LoadReport,
  meetsTarget,
  REPORT_FILES,
  renderLoadChart,
  renderLoadMarkdown,
} from './journeys/report.js';
import { startApiServer, startBareKoa, stopAllServers } from './processes.js';
import { setting } from './settings.js';

/** BENCH_REPORT_DIR moves a trial run's report away from the committed one. */
const REPORT_DIRECTORY = process.env.BENCH_REPORT_DIR
  ? pathToFileURL(`${resolve(process.env.BENCH_REPORT_DIR)}/`)
  : new URL('report/', import.meta.url);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_KEY_PREFIX = `skeleton-bench-${randomUUID()}:`;
/** The API settings the report shows; the rest are this run's throw-away paths and names. */
const REPORTED_SETTINGS = ['NODE_ENV', 'MIGRATE_ON_START', 'REDIS_URL', 'TRUST_PROXY_HOPS', 'LOG_FORMAT'];

/** BENCH_USERS: the concurrency levels, e.g. "100,500,1000". */
function userLevels(): number[] {
  const raw = process.env.BENCH_USERS?.trim() || '100,500,1000';
  const levels = raw.split(',').map((part) => Number(part.trim()));
  if (levels.some((level) => !Number.isInteger(level) || level <= 0)) {
    throw new Error(`BENCH_USERS must list positive integers such as 100,500,1000 (got "${raw}")`);
  }
  return levels;
}

let database: TestDatabase | undefined;
let direct: Knex | undefined;
let redis: Redis | undefined;
let keysDirectory: string | undefined;
let cleaning: Promise<void> | undefined;
const cleanUp = () => {
  cleaning ??= (async () => {
    // Servers first: dropping the database under a live API would only produce noise on its way out.
    await stopAllServers();
    await direct?.destroy();
    if (redis) {
      const keys = await redis.keys(`${REDIS_KEY_PREFIX}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await database?.drop();
    if (keysDirectory) await rm(keysDirectory, { recursive: true, force: true });
  })();
  return cleaning;
};

async function main(): Promise<boolean> {
  const levels = userLevels();
  const limit = await maxConnections();
  const most = Math.max(...levels);
  if (limit !== undefined && most > limit) {
    throw new Error(
      `${most} users need ${most} connections; the hard open-file limit leaves room for ${limit}`,
    );
  }
  const rounds = setting('BENCH_ROUNDS', 5);
  const settings: LevelSettings = {
    // Every user's first request is a sign-in: spread over a minute, they arrive at about twice
    // their steady rate instead of all at once.
    rampSeconds: setting('BENCH_RAMP', 60),
    durationSeconds: setting('BENCH_DURATION', 60),
    // Seconds between a person's clicks, not milliseconds: a user acting every second would be a
    // script. 1000 such users offer about 200 requests a second.
    meanThinkTimeMs: setting('BENCH_THINK_MS', 5000),
    plan: sessionPlan(rounds),
  };

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  direct = knexFactory({ client: 'pg', connection: databaseUrl });
  redis = new Redis(REDIS_URL);
  keysDirectory = await mkdtemp(join(tmpdir(), 'skeleton-bench-'));
  const environment = await journeyApiEnvironment({
    databaseUrl,
    redisUrl: REDIS_URL,
    redisKeyPrefix: REDIS_KEY_PREFIX,
    folder: keysDirectory,
  });
  const [bare, api] = await Promise.all([
    startBareKoa(),
    startApiServer(environment, {
      discardStdout: true,
      // BENCH_CPU_PROF_DIR=dir: the API writes a V8 CPU profile there when it exits.
      nodeArgs: process.env.BENCH_CPU_PROF_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
        : [],
    }),
  ]);
  const template = await registerTemplate(api);

  const results: LevelResult[] = [];
  for (const users of levels) {
    const accounts = accountsFor(users, users);
    await storeAccounts(direct, template, accounts);
    process.stderr.write(`${users} users against bare Koa…\n`);
    const baseline = await runLevel({ origin: bare.origin, issuesTokens: false }, accounts, settings);
    await bare.settle();
    process.stderr.write(`${users} users against the API…\n`);
    const measured = await runLevel({ origin: api.origin, issuesTokens: true }, accounts, settings);
    await api.settle();
    results.push({ users, api: measured, bare: baseline });
  }

  const report: LoadReport = {
    generatedAt: new Date().toISOString(),
    machine: await describeMachine(direct, redis),
    settings: {
      rampSeconds: settings.rampSeconds,
      durationSeconds: settings.durationSeconds,
      meanThinkTimeMs: settings.meanThinkTimeMs,
      sessionRounds: rounds,
      session: settings.plan,
      api: {
        ...Object.fromEntries(REPORTED_SETTINGS.map((name) => [name, environment[name] ?? ''])),
        LOG_LEVEL: 'info (default)',
        DATABASE_POOL_MAX: '10 (default)',
      },
    },
    levels: results,
  };
  const markdown = renderLoadMarkdown(report);
  await mkdir(REPORT_DIRECTORY, { recursive: true });
  await writeFile(new URL(REPORT_FILES.json, REPORT_DIRECTORY), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(new URL(REPORT_FILES.markdown, REPORT_DIRECTORY), markdown);
  await writeFile(new URL(REPORT_FILES.chart, REPORT_DIRECTORY), renderLoadChart(report));
  process.stdout.write(markdown);
  return results.every(({ api: measured }) => meetsTarget(measured));
}

await runBench(main, cleanUp);
