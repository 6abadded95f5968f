import { randomUUID } from 'node:crypto';
import test from 'ava';
import { FAIL_FAST_REDIS_OPTIONS } from '../../src/rate-limits/redis-client.js';
import { type SignedIn, signUpAndIn } from '../support/accounts.js';
import type { TestApi } from '../support/api-server.js';
import { instancesOnCuttableRedis } from '../support/cuttable-redis.js';
import { eventually } from '../support/eventually.js';
import { summariseLatencies } from '../support/latencies.js';

/** Every counter of this run lives under its own prefix, so parallel runs never share one. */
const KEY_PREFIX = `skeleton-fault-${randomUUID()}:`;
/** Requests per client address per minute: small, so the load exhausts budgets all the time. */
const POINTS = 5;
const WINDOW_SECONDS = 60;
const CLIENTS = 16;
/** Budgets used up in each phase before moving on: enough to see any miscount. */
const BUDGETS_PER_PHASE = 40;
/** Far over what a loaded CI machine needs, far under a request waiting on a dead Redis for good. */
const NO_HANG_MS = 2_000;
/**
 * A Redis command not answered within this is decided in process, by design, even with Redis up:
 * on a starved machine that happens. A budget whose every request answered faster cannot have had
 * one, so only those must count exactly; the others may pass up to twice (once per instance).
 */
const { commandTimeout } = FAIL_FAST_REDIS_OPTIONS;

/** Two instances of the API on one database and, through a proxy the test cuts, one Redis. */
const suite = instancesOnCuttableRedis(
  KEY_PREFIX,
  {},
  { rateLimitPolicy: { perIp: { points: POINTS, durationSeconds: WINDOW_SECONDS } } },
);

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

/** One client address spending its budget: requests until the first 429. */
interface Budget {
  startedAt: number;
  endedAt: number;
  /** Requests answered 200 before the first 429. */
  passed: number;
  answers: Answer[];
}

let addresses = 0;
const freshAddress = () => {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
};

/**
 * Sends a fresh address's requests to the two instances in turn until one answers 429. Counted
 * in Redis, `POINTS` pass; counted by each instance on its own, each lets `POINTS` through.
 */
async function spendBudget(account: SignedIn): Promise<Budget> {
  const address = freshAddress();
  const startedAt = performance.now();
  const answers: Answer[] = [];
  for (let turn = 0; answers.at(-1)?.status !== 429; turn += 1) {
    const sentAt = performance.now();
    const response = await suite.instances[turn % 2]?.request('GET', '/api/v1/users/me', {
      token: account.accessToken,
      headers: { 'x-forwarded-for': address },
    });
    if (response === undefined) throw new Error('no instance');
    answers.push({
      status: response.status,
      code: response.body?.code,
      retryAfter: response.headers.get('retry-after'),
      ms: performance.now() - sentAt,
    });
    if (response.status !== 200 && response.status !== 429) break;
  }
  const passed = answers.filter((answer) => answer.status === 200).length;
  return { startedAt, endedAt: performance.now(), passed, answers };
}

const latencies = (budgets: Budget[]) => {
  const ms = budgets.flatMap((budget) => budget.answers.map((answer) => answer.ms));
  return `${ms.length} requests, ${summariseLatencies(ms)}`;
};

/** Until stopped: many clients spending budgets, and a readiness probe on each instance. */
function startLoad(account: SignedIn) {
  const load = { running: true, budgets: [] as Budget[], readiness: [] as number[], done: Promise.resolve() };
  const client = async () => {
    while (load.running) load.budgets.push(await spendBudget(account));
  };
  const probe = async (api: TestApi) => {
    while (load.running) {
      load.readiness.push((await api.request('GET', '/health/ready')).status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  load.done = Promise.all([...Array.from({ length: CLIENTS }, client), ...suite.instances.map(probe)]).then(
    () => undefined,
  );
  return load;
}

type Load = ReturnType<typeof startLoad>;

const answeredFast = (budget: Budget) => budget.answers.every((answer) => answer.ms < commandTimeout);

/** Waits until `count` budgets started after `since` are spent (only fast ones, if `fast`). */
const spentSince = (load: Load, since: number, count: number, what: string, fast = false) =>
  eventually(
    () => {
      const spent = load.budgets.filter((b) => b.startedAt > since && (!fast || answeredFast(b)));
      return spent.length >= count ? spent : undefined;
    },
    what,
    30_000,
  );

test('Redis cut under load: no 5xx, no wait, limits hold in process, then shared through Redis again', async (t) => {
  const account = await signUpAndIn(suite.instances[0]);
  // The clients connect in the background: shared counting starts once both are connected.
  await eventually(
    async () => ((await spendBudget(account)).passed === POINTS ? true : undefined),
    'both instances count in Redis',
  );
  const load = startLoad(account);

  await spentSince(load, 0, BUDGETS_PER_PHASE, 'fast budgets spent with Redis up', true);
  const cutAt = performance.now();
  suite.proxy.cut();
  await spentSince(load, cutAt, BUDGETS_PER_PHASE, 'budgets spent with Redis down');
  const restoredAt = performance.now();
  suite.proxy.restore();
  // The clients reconnect with a back-off. A budget counted once across both instances shows both
  // connected by its end, and they stay so: every budget started later must be shared too.
  const recoveredAt = await eventually(
    () => load.budgets.find((budget) => budget.startedAt > restoredAt && budget.passed === POINTS)?.endedAt,
    'a budget shared through Redis again',
  );
  await spentSince(load, recoveredAt, BUDGETS_PER_PHASE, 'fast budgets spent once Redis is back', true);
  load.running = false;
  await load.done;

  const answers = load.budgets.flatMap((budget) => budget.answers);
  t.deepEqual(
    answers.filter((answer) => answer.status !== 200 && answer.status !== 429),
    [],
    'every answer is a 200 or a 429',
  );
  t.deepEqual(
    answers.filter((answer) => answer.ms >= NO_HANG_MS),
    [],
    `no request waits ${NO_HANG_MS} ms`,
  );
  for (const refusal of answers.filter((answer) => answer.status === 429)) {
    t.is(refusal.code, 'rate_limit.exceeded');
    const retryAfter = Number(refusal.retryAfter);
    t.true(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS,
      refusal.retryAfter ?? '',
    );
  }
  t.true(
    load.readiness.every((status) => status === 200),
    'Redis is no readiness dependency',
  );

  const up = load.budgets.filter((budget) => budget.endedAt < cutAt);
  const down = load.budgets.filter((budget) => budget.startedAt > cutAt && budget.endedAt < restoredAt);
  const back = load.budgets.filter((budget) => budget.startedAt >= recoveredAt);
  const shared = [...up, ...back];
  for (const budget of shared.filter(answeredFast))
    t.is(budget.passed, POINTS, 'one budget for both instances');
  for (const budget of shared) t.true(budget.passed >= POINTS && budget.passed <= 2 * POINTS);
  for (const budget of down) t.is(budget.passed, 2 * POINTS, 'each instance limits on its own');
  t.true(down.length >= BUDGETS_PER_PHASE);
  t.true(
    up.filter(answeredFast).length >= BUDGETS_PER_PHASE &&
      back.filter(answeredFast).length >= BUDGETS_PER_PHASE,
  );

  const slow = shared.filter((budget) => !answeredFast(budget));
  t.log(`Redis up: ${up.length} budgets of ${POINTS} shared by both instances; ${latencies(up)}`);
  t.log(`Redis down: ${down.length} budgets of ${POINTS} per instance; ${latencies(down)}`);
  t.log(
    `Redis back: shared again at most ${Math.round(recoveredAt - restoredAt)} ms after the restore; ` +
      `${back.length} budgets; ${latencies(back)}`,
  );
  t.log(
    `${answers.length} requests from ${CLIENTS} clients, ${load.readiness.length} readiness probes all 200; ` +
      `${slow.length} shared budgets had a request over ${commandTimeout} ms, ` +
      `${slow.filter((budget) => budget.passed > POINTS).length} of them passed more than ${POINTS}`,
  );
});
