import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import knexFactory, { type Knex } from 'knex';
import { type SignedIn, STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { type ApiResponse, startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { summariseLatencies } from '../support/latencies.js';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.js';

/**
 * Concurrent clients of each kind: 24 in all, more than the pool has connections. Registrations
 * are few: their argon2 hashing would take the CPU the fast 503s are measured on.
 */
const REGISTRARS = 4;
const PROFILE_WRITERS = 12;
const READERS = 8;
/** Longer than the breaker's 3 s open time: a half-open probe fails and the breaker opens again. */
const CUT_MS = 4_000;

let database: TestDatabase;
let proxy: TcpProxy;
let api: TestApi;
/** Straight to the server, past the proxy: what was really stored. */
let direct: Knex;

test.before(async () => {
  database = await createTestDatabase();
  proxy = await startTcpProxy(targetOf(database.url));
  api = await startApi({ DATABASE_URL: proxy.route(database.url) });
  direct = knexFactory({ client: 'pg', connection: database.url });
});

test.after.always(async () => {
  await api?.close();
  await proxy?.close();
  await direct?.destroy();
  await database?.drop();
});

type Kind = 'register' | 'rename' | 'read' | 'ready';

interface Outcome {
  kind: Kind;
  startedAt: number;
  endedAt: number;
  status: number;
  code?: string;
  message?: string;
  /** The email registered or the display name written. */
  written?: string;
}

const SUCCESS: Record<Kind, number> = { register: 201, rename: 200, read: 200, ready: 200 };

const durationOf = (outcome: Outcome) => outcome.endedAt - outcome.startedAt;

/** Every request of the load, answered or not yet, in the order they were sent. */
class Load {
  readonly outcomes: Outcome[] = [];
  running = true;

  async send(kind: Kind, request: () => Promise<ApiResponse>, written?: string): Promise<Outcome> {
    const startedAt = performance.now();
    const response = await request();
    const { code, message } = response.body ?? {};
    const outcome = {
      kind,
      startedAt,
      endedAt: performance.now(),
      status: response.status,
      code,
      message,
      written,
    };
    this.outcomes.push(outcome);
    return outcome;
  }

  async registrar() {
    while (this.running) {
      const email = uniqueEmail('cut');
      const json = { email, password: STRONG_PASSWORD, name: 'Cut' };
      await this.send('register', () => api.request('POST', '/api/v1/auth/register', { json }), email);
    }
  }

  /** Renames one account again and again, each name new, one request at a time. */
  async profileWriter(writer: SequentialWriter) {
    const { account, attempted } = writer;
    for (let sequence = 0; this.running; sequence += 1) {
      const name = `Writer ${account.userId} #${sequence}`;
      attempted.push(name);
      const outcome = await this.send(
        'rename',
        () => api.request('PATCH', '/api/v1/users/me', { token: account.accessToken, json: { name } }),
        name,
      );
      if (outcome.status === 200) writer.lastAcknowledged = sequence;
    }
  }

  async reader(account: SignedIn) {
    while (this.running) {
      await this.send('read', () => api.request('GET', '/api/v1/users/me', { token: account.accessToken }));
    }
  }

  async readinessProbe() {
    while (this.running) {
      await this.send('ready', () => api.request('GET', '/health/ready'));
      await sleep(100);
    }
  }

  /** Waits until `count` requests (readiness probes aside) sent after `since` are answered. */
  async answeredSince(since: number, count: number, what: string) {
    const answered = () => this.outcomes.filter((o) => o.kind !== 'ready' && o.startedAt > since).length;
    await eventually(() => (answered() >= count ? true : undefined), what, 20_000);
  }
}

/** One account renamed by one client, each request sent only once the one before is answered. */
interface SequentialWriter {
  account: SignedIn;
  /** The name it was registered with. */
  initialName: string;
  attempted: string[];
  /** The index in `attempted` of the last rename answered 200; -1 before the first. */
  lastAcknowledged: number;
}

async function sequentialWriter(): Promise<SequentialWriter> {
  const account = await signUpAndIn(api);
  const me = await api.request('GET', '/api/v1/users/me', { token: account.accessToken });
  return { account, initialName: me.body.data.user.name, attempted: [], lastAcknowledged: -1 };
}

/**
 * The names that may be stored for a sequential writer: the one its last 200 acknowledged, or one
 * it attempted after it (a 503 does not tell whether the write was committed). Anything else means
 * an acknowledged write was lost, or overwritten by an older write run late.
 */
function storableNames(writer: SequentialWriter): string[] {
  const { attempted, lastAcknowledged, initialName } = writer;
  return lastAcknowledged < 0 ? [initialName, ...attempted] : attempted.slice(lastAcknowledged);
}

test('the database cut and restored under load: fast 503s, readiness fails, service resumes, no 2xx write lost', async (t) => {
  const writers = await Promise.all(Array.from({ length: PROFILE_WRITERS }, sequentialWriter));
  const reader = await signUpAndIn(api);
  const load = new Load();
  const { outcomes } = load;
  const clients = [
    ...Array.from({ length: REGISTRARS }, () => load.registrar()),
    ...writers.map((writer) => load.profileWriter(writer)),
    ...Array.from({ length: READERS }, () => load.reader(reader)),
    load.readinessProbe(),
  ];

  await load.answeredSince(0, 200, 'a steady stream before the cut');
  const cutAt = performance.now();
  proxy.cut();
  await sleep(CUT_MS);
  const restoredAt = performance.now();
  proxy.restore();
  const recoveredAt = await eventually(
    () =>
      outcomes.find((o) => o.kind === 'register' && o.status === 201 && o.startedAt > restoredAt)?.endedAt,
    'a registration succeeds after the restore',
    15_000,
  );
  await load.answeredSince(recoveredAt, 200, 'a steady stream after the recovery');
  load.running = false;
  await Promise.all(clients);

  // Every answer is a success or the database's 503: no 500, and no 409 from a write run twice.
  for (const outcome of outcomes) {
    if (outcome.kind === 'ready') {
      t.true([200, 503].includes(outcome.status), JSON.stringify(outcome));
    } else if (outcome.status === 503) {
      t.is(outcome.code, 'db.unavailable', JSON.stringify(outcome));
    } else {
      t.is(outcome.status, SUCCESS[outcome.kind], JSON.stringify(outcome));
    }
  }
  const before = outcomes.filter((o) => o.endedAt < cutAt);
  t.true(before.length >= 200, `a steady stream before the cut (${before.length})`);
  t.true(before.every((o) => o.status < 300));

  const whileCut = outcomes.filter((o) => o.startedAt >= cutAt && o.endedAt <= restoredAt);
  const requests = whileCut.filter((o) => o.kind !== 'ready');
  t.true(requests.length > 20, `a steady stream while cut (${requests.length})`);
  // A reader whose live session the instance remembers (PRINCIPAL_CACHE_TTL) is answered from
  // memory: nothing can end a session while the database is gone. Anything that needs the database
  // is its 503.
  const needingTheDatabase = requests.filter((o) => !(o.kind === 'read' && o.status === 200));
  t.true(
    needingTheDatabase.some((o) => o.kind === 'register') &&
      needingTheDatabase.some((o) => o.kind === 'rename'),
  );
  t.true(
    needingTheDatabase.every((o) => o.status === 503 && o.code === 'db.unavailable'),
    'every request that needs the database while cut is a 503 db.unavailable',
  );
  const durations = requests.map(durationOf);
  const underOneSecond = durations.filter((ms) => ms < 1_000).length / durations.length;
  t.true(underOneSecond >= 0.9, `${Math.round(underOneSecond * 100)}% answered within 1 s`);
  t.true(Math.max(...durations) < 5_000, 'none waits for the 5 s acquire timeout');

  const readiness = whileCut.filter((o) => o.kind === 'ready');
  t.true(readiness.length > 0);
  t.true(readiness.every((o) => o.status === 503 && o.code === 'service.not_ready'));
  t.true(readiness.some((o) => /breaker: open/.test(o.message ?? '')));

  const recoveryMs = recoveredAt - restoredAt;
  t.true(recoveryMs < 10_000, `recovered ${Math.round(recoveryMs)} ms after the restore`);
  const afterRecovery = outcomes.filter((o) => o.startedAt > recoveredAt && o.kind !== 'ready');
  t.true(afterRecovery.length >= 200);
  t.true(
    afterRecovery.every((o) => o.status < 300),
    'everything succeeds once recovered',
  );
  const ready = await api.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.data.checks.breaker, 'closed');

  const registered = outcomes
    .filter((o) => o.kind === 'register' && o.status === 201)
    .map((o) => o.written as string);
  const stored = await direct('users').whereIn('email', registered).pluck('email');
  t.deepEqual(stored.sort(), registered.sort(), 'every registration answered 201 is stored');

  const renamed = outcomes.filter((o) => o.kind === 'rename' && o.status === 200);
  for (const writer of writers) {
    const { display_name: storedName } = await direct('users').where('id', writer.account.userId).first();
    const storable = storableNames(writer);
    t.true(storable.includes(storedName), `${storedName} is not among ${storable.join(', ')}`);
  }
  const endedAcknowledged = writers.filter((w) => w.lastAcknowledged === w.attempted.length - 1).length;

  for (const kind of ['register', 'rename', 'read'] as const) {
    const ms = requests.filter((o) => o.kind === kind).map(durationOf);
    t.log(`${kind} while cut: ${ms.length} answered 503 in ${summariseLatencies(ms)}`);
  }
  t.log(
    `${outcomes.length} requests from ${clients.length} clients; readiness 503 ×${readiness.length} while cut; ` +
      `recovered ${Math.round(recoveryMs)} ms after the restore; ${registered.length} registrations answered 201, ` +
      `all stored; ${renamed.length} renames answered 200, each writer's last one (or a later attempt) stored, ` +
      `${endedAcknowledged} of ${PROFILE_WRITERS} writers' last rename acknowledged and stored exactly`,
  );
});
