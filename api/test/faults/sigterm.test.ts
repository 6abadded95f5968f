import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import knexFactory from 'knex';
import { STRONG_PASSWORD, uniqueEmail } from '../support/accounts.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { startApiProcess } from '../support/processes.js';

/**
 * Keep-alive clients: one in twenty registers new accounts, the others read and rename their own
 * (argon2 makes registrations costly: more of them would only measure the hashing).
 */
const CLIENTS = 60;
const REGISTRAR_EVERY = 20;
/**
 * The simulated load balancer probes readiness this often and stops routing at the first failure
 * (a real one waits for a few, seconds apart). The API's SHUTDOWN_DELAY must outlast that: under
 * this load a probe waits its turn behind the clients' requests, up to 3 s seen on a loaded
 * 2-core machine, so the delay is above the 5 s production default.
 */
const PROBE_PERIOD_MS = 100;
const SHUTDOWN_DELAY_SECONDS = 7;

let database: TestDatabase;

test.before(async () => {
  database = await createTestDatabase();
});

test.after.always(async () => {
  await database?.drop();
});

interface Outcome {
  kind: 'register' | 'rename' | 'read';
  startedAt: number;
  /** The HTTP status, or the message of the error that ended the request without one. */
  result: number | string;
}

/** Sends JSON to the API and reads the whole answer; a connection error becomes its message. */
async function call(
  url: string,
  method: string,
  path: string,
  { token, json }: { token?: string; json?: unknown } = {},
): Promise<{ status: number; body: unknown } | string> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return (error as Error).message;
  }
}

async function signedInAccount(url: string) {
  const email = uniqueEmail('drain');
  const registered = await call(url, 'POST', '/api/v1/auth/register', {
    json: { email, password: STRONG_PASSWORD, name: 'Drain' },
  });
  const login = await call(url, 'POST', '/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
  if (typeof registered === 'string' || typeof login === 'string' || login.status !== 200) {
    throw new Error(`could not sign up ${email}: ${JSON.stringify({ registered, login })}`);
  }
  const { accessToken, user } = (login.body as { data: { accessToken: string; user: { id: string } } }).data;
  return { accessToken, userId: user.id };
}

/** Read straight from the database once the API has exited: which emails exist, and each name. */
async function storedWrites(emails: string[], userIds: string[]) {
  const direct = knexFactory({ client: 'pg', connection: database.url });
  try {
    const rows = await direct('users').whereIn('id', userIds).select('id', 'display_name');
    return {
      emails: await direct('users').whereIn('email', emails).pluck('email'),
      names: new Map(rows.map((row) => [row.id as string, row.display_name as string])),
    };
  } finally {
    await direct.destroy();
  }
}

/** A load balancer's view: routes while readiness passes, stops when it fails. */
function loadBalancer(url: string) {
  const balancer = { inRotation: true, stoppedRoutingAt: Number.NaN, stopped: Promise.resolve() };
  const passes = async () => {
    const ready = await call(url, 'GET', '/health/ready');
    return typeof ready !== 'string' && ready.status === 200;
  };
  balancer.stopped = (async () => {
    while (await passes()) await sleep(PROBE_PERIOD_MS);
    balancer.inRotation = false;
    balancer.stoppedRoutingAt = performance.now();
  })();
  return balancer;
}

test('SIGTERM under load: zero failed requests, every 2xx write stored, exit code 0', async (t) => {
  const { child, output, url } = await startApiProcess({
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '20',
    SHUTDOWN_DELAY: `${SHUTDOWN_DELAY_SECONDS}s`,
    LOG_LEVEL: 'info',
    // Sixty clients from one address would rightly be refused, by the rate limits and by the hashing
    // queue when they all sign up at once; this test is about the shutdown.
    RATE_LIMITS: 'off',
    PASSWORD_HASH_QUEUE_MAX: '100',
  });
  const accounts = await Promise.all(
    Array.from({ length: CLIENTS - Math.ceil(CLIENTS / REGISTRAR_EVERY) }, () => signedInAccount(url)),
  );
  const balancer = loadBalancer(url);
  const outcomes: Outcome[] = [];
  const registered: string[] = [];
  /** Per account, the last name a 200 acknowledged. */
  const lastRenamed = new Map<string, string>();

  const send = async (kind: Outcome['kind'], request: () => ReturnType<typeof call>) => {
    const startedAt = performance.now();
    const answer = await request();
    const result = typeof answer === 'string' ? answer : answer.status;
    outcomes.push({ kind, startedAt, result });
    return result;
  };
  const registrar = async () => {
    while (balancer.inRotation) {
      const email = uniqueEmail('drain');
      const json = { email, password: STRONG_PASSWORD, name: 'Drain' };
      if ((await send('register', () => call(url, 'POST', '/api/v1/auth/register', { json }))) === 201) {
        registered.push(email);
      }
    }
  };
  const accountHolder = async ({ accessToken: token, userId }: (typeof accounts)[number]) => {
    for (let sequence = 0; balancer.inRotation; sequence += 1) {
      await send('read', () => call(url, 'GET', '/api/v1/users/me', { token }));
      const name = `Drain ${sequence}`;
      const renamed = await send('rename', () =>
        call(url, 'PATCH', '/api/v1/users/me', { token, json: { name } }),
      );
      if (renamed === 200) lastRenamed.set(userId, name);
    }
  };
  const clients = [
    ...Array.from({ length: CLIENTS - accounts.length }, registrar),
    ...accounts.map(accountHolder),
  ];

  await eventually(() => (outcomes.length >= 500 ? true : undefined), 'a steady stream', 20_000);
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  await Promise.all([balancer.stopped, ...clients]);
  const { code, stdout, stderr } = await output;

  t.is(code, 0, stderr);
  const noticedMs = balancer.stoppedRoutingAt - signalledAt;
  // Otherwise the API stopped accepting while still in rotation: failures would be the test's doing.
  t.true(
    noticedMs < SHUTDOWN_DELAY_SECONDS * 1000,
    `the balancer stopped routing ${Math.round(noticedMs)} ms after SIGTERM`,
  );
  t.deepEqual(
    outcomes.filter(({ result }) => typeof result !== 'number' || result >= 300),
    [],
    'no connection error and no non-2xx answer',
  );
  const duringDrain = outcomes.filter((o) => o.startedAt > signalledAt);
  t.true(duringDrain.length > 0, 'requests sent after SIGTERM, before the balancer noticed, were served');
  t.regex(stdout, /draining: readiness now fails/);
  t.regex(stdout, /"msg":"stopped"/);

  const stored = await storedWrites(registered, [...lastRenamed.keys()]);
  t.deepEqual(stored.emails.sort(), [...registered].sort(), 'every registration answered 201 is stored');
  t.is(stored.names.size, accounts.length);
  for (const [id, name] of stored.names) {
    t.is(name, lastRenamed.get(id) ?? '(none acknowledged)', `the last rename of ${id} is stored`);
  }

  const count = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  t.log(
    `${outcomes.length} requests from ${CLIENTS} clients (${count('read')} reads, ${count('rename')} renames, ` +
      `${count('register')} registrations), all 2xx; ${duringDrain.length} sent after SIGTERM; the balancer ` +
      `stopped routing ${Math.round(noticedMs)} ms after it; ` +
      `${registered.length} registrations and ${stored.names.size} accounts' last renames verified in the database`,
  );
});
