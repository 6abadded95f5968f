import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../api/test/support/database.js';
import { accessTokenFor, JSON_HEADERS } from './access-token.js';
import { runBench } from './entry.js';
import { maxConnections } from './fd-limit.js';
import { PASSWORD } from './journeys/accounts.js';
import { measure, type Scenario } from './load.js';
import { startApiServer, startBareKoa, stopAllServers } from './processes.js';
import { type Row, renderMarkdown, writeResults } from './report.js';
import { setting } from './settings.js';

const WARMUP_SECONDS = 2;

let database: TestDatabase | undefined;
let cleaning: Promise<void> | undefined;
// Servers first: dropping the database under a live API would only produce noise on its way out.
const cleanUp = () => {
  cleaning ??= stopAllServers().then(() => database?.drop());
  return cleaning;
};

async function main(): Promise<void> {
  const notes: string[] = [];
  const context = { durationSeconds: setting('BENCH_DURATION', 10), warmupSeconds: WARMUP_SECONDS, notes };
  const limit = await maxConnections();
  const connections = (name: string, fallback: number) => {
    const wanted = setting(name, fallback);
    if (limit === undefined || wanted <= limit) return wanted;
    notes.push(`${name}=${wanted} lowered to ${limit}: the hard open-file limit leaves room for no more.`);
    return limit;
  };
  const healthConnections = connections('BENCH_HEALTH_CONNECTIONS', 100);
  const userConnections = connections('BENCH_CONNECTIONS', 1000);
  const loginConnections = connections('BENCH_LOGIN_CONNECTIONS', 64);

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  const [bare, api] = await Promise.all([
    startBareKoa(),
    // One address sending thousands of requests and logins is exactly what the limits refuse.
    startApiServer({
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: '20',
      RATE_LIMITS: 'off',
    }),
  ]);

  const email = `bench-${randomUUID()}@example.com`;
  const token = await accessTokenFor(api.origin, email);
  const login = (name: string, body: object): Scenario => ({
    name,
    url: `${api.origin}/api/v1/auth/login`,
    connections: loginConnections,
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
  const scenarios: Scenario[] = [
    // The whole middleware stack (ids, logs, metrics, tracing, headers, CORS, errors) with no
    // database work behind it: its cost against bare Koa is the price of the hardening.
    { name: 'GET /health/live', url: `${api.origin}/health/live`, connections: healthConnections },
    {
      name: 'GET /api/v1/users/me',
      url: `${api.origin}/api/v1/users/me`,
      connections: userConnections,
      headers: { authorization: `Bearer ${token}` },
    },
    login('POST /api/v1/auth/login', { email, password: PASSWORD }),
    // The two failures must be indistinguishable in time as well as in body (enumeration).
    login('POST /api/v1/auth/login, wrong password (401)', { email, password: 'not the password' }),
    login('POST /api/v1/auth/login, unknown email (401)', { email: `nobody-${email}`, password: PASSWORD }),
  ];

  const rows: Row[] = [];
  const run = async (scenario: Scenario) => {
    process.stderr.write(`measuring ${scenario.name} at ${scenario.connections} connections…\n`);
    const measurement = await measure(scenario, context);
    // Requests abandoned by the load generator still queue on the server: let them drain so they
    // neither steal CPU from the next run nor fail noisily when the server is stopped.
    await Promise.all([bare.settle(), api.settle()]);
    return measurement;
  };
  for (const scenario of scenarios) {
    // The baseline runs right before its scenario, at its connection count, so the two compare like with like.
    const baseline = await run({
      name: 'bare Koa hello',
      url: `${bare.origin}/`,
      connections: scenario.connections,
    });
    rows.push({ measurement: baseline }, { measurement: await run(scenario), baseline });
  }

  const markdown = renderMarkdown(rows, context);
  process.stdout.write(markdown);
  await writeResults(rows, context, markdown);
}

await runBench(main, cleanUp);
