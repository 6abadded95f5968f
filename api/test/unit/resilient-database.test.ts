import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { Knex } from 'knex';
import { type ResilienceSettings, ResilientDatabase } from '../../src/db/resilient-database.js';
import { DomainError } from '../../src/errors.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const terminated = () => new Error('Connection terminated unexpectedly');

/** Millisecond back-off, and a breaker that opens after three failures for 50 ms. */
const FAST: Partial<ResilienceSettings> = {
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  breakerThreshold: 3,
  halfOpenAfterMs: 50,
};

/** A query stand-in that fails with the given errors, in order, then answers `value`. */
function flaky<T>(failures: Error[], value: T) {
  let calls = 0;
  return {
    query: async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return value;
    },
    calls: () => calls,
  };
}

const database = (settings: Partial<ResilienceSettings> = FAST) =>
  new ResilientDatabase({} as Knex, settings);

async function unavailable(t: import('ava').ExecutionContext, promise: Promise<unknown>) {
  const error = await t.throwsAsync(promise);
  t.true(error instanceof DomainError);
  t.is((error as DomainError).code, 'db.unavailable');
  t.is((error as DomainError).status, 503);
}

test('reads are retried on refused and lost connections and on serialization failures', async (t) => {
  const reads = flaky([pgError('ECONNREFUSED'), terminated()], 'rows');
  t.is(await database().read(reads.query), 'rows');
  t.is(reads.calls(), 3);
  const serialization = flaky([pgError('40001')], 'rows');
  t.is(await database().read(serialization.query), 'rows');
  t.is(serialization.calls(), 2);
});

test('reads give up after the last retry with db.unavailable', async (t) => {
  const reads = flaky([pgError('ECONNRESET'), pgError('ECONNRESET'), pgError('ECONNRESET')], 'rows');
  await unavailable(t, database({ ...FAST, breakerThreshold: 10 }).read(reads.query));
  t.is(reads.calls(), 3, 'the first attempt and two retries');
});

test('a statement cancelled by the timeout is not run again', async (t) => {
  const reads = flaky([pgError('57014')], 'rows');
  await unavailable(t, database().read(reads.query));
  t.is(reads.calls(), 1);
});

test("the request's own errors are neither retried nor turned into a 503", async (t) => {
  const unique = pgError('23505');
  const writes = flaky([unique], 'row');
  t.is(await t.throwsAsync(database().write(writes.query)), unique);
  t.is(writes.calls(), 1);
});

test('writes are retried only when they certainly had no effect', async (t) => {
  for (const failure of [pgError('ECONNREFUSED'), pgError('57P03'), pgError('40P01')]) {
    const writes = flaky([failure], 'row');
    t.is(await database().write(writes.query), 'row', failure.message);
    t.is(writes.calls(), 2, failure.message);
  }
  // The statement may have committed before the connection went: running it again could apply it twice.
  for (const failure of [terminated(), pgError('ECONNRESET')]) {
    const writes = flaky([failure], 'row');
    await unavailable(t, database().write(writes.query));
    t.is(writes.calls(), 1, failure.message);
  }
});

type Step = 'fails connecting' | 'fails at BEGIN' | 'fails during the work' | 'commits';

/**
 * A knex stand-in whose transactions play the given steps, one per attempt. Like knex, it calls
 * the work back even when BEGIN failed, with a transaction that has already completed.
 */
function scriptedKnex(steps: Array<[Step, Error?]>) {
  let attempts = 0;
  let workRuns = 0;
  const knex = {
    async transaction<T>(work: (trx: Knex.Transaction) => Promise<T>) {
      attempts++;
      const [step, error] = steps.shift() ?? ['commits'];
      if (step === 'fails connecting') throw error;
      if (step === 'fails at BEGIN') {
        await work({ isCompleted: () => true } as unknown as Knex.Transaction).catch(() => undefined);
        throw error;
      }
      workRuns++;
      const result = await work({ isCompleted: () => false } as unknown as Knex.Transaction);
      if (step === 'fails during the work') throw error;
      return result;
    },
  } as unknown as Knex;
  return { knex, attempts: () => attempts, workRuns: () => workRuns };
}

test('a transaction runs again as a whole after a serialization failure or a deadlock', async (t) => {
  const script = scriptedKnex([
    ['fails during the work', pgError('40001')],
    ['fails during the work', pgError('40P01')],
  ]);
  t.is(await new ResilientDatabase(script.knex, FAST).transaction(async () => 'done'), 'done');
  t.is(script.workRuns(), 3);
});

test('a transaction whose connection failed before the work began is retried; after, it is not', async (t) => {
  const before = scriptedKnex([
    ['fails connecting', pgError('ECONNREFUSED')],
    ['fails at BEGIN', terminated()],
  ]);
  t.is(await new ResilientDatabase(before.knex, FAST).transaction(async () => 'done'), 'done');
  t.deepEqual([before.attempts(), before.workRuns()], [3, 1]);

  // COMMIT may have reached the server: the outcome is unknown, so the client is told 503.
  const during = scriptedKnex([['fails during the work', terminated()]]);
  await unavailable(
    t,
    new ResilientDatabase(during.knex, FAST).transaction(async () => 'done'),
  );
  t.deepEqual([during.attempts(), during.workRuns()], [1, 1]);
});

test('transaction retries stop after the last attempt; other errors pass unchanged', async (t) => {
  const busy = scriptedKnex(
    Array.from({ length: 4 }, (): [Step, Error] => ['fails during the work', pgError('40001')]),
  );
  await t.throwsAsync(
    new ResilientDatabase(busy.knex, FAST).transaction(async () => 'done'),
    {
      message: 'pg 40001',
    },
  );
  t.is(busy.workRuns(), 3);
  const unique = scriptedKnex([['fails during the work', pgError('23505')]]);
  await t.throwsAsync(
    new ResilientDatabase(unique.knex, FAST).transaction(async () => 'done'),
    {
      message: 'pg 23505',
    },
  );
  t.is(unique.workRuns(), 1);
});

test('the breaker opens after consecutive failures and then answers at once, without a query', async (t) => {
  const db = database();
  const states: string[] = [];
  db.onBreakerStateChange((state) => states.push(state));
  for (let i = 0; i < 3; i++) await unavailable(t, db.write(flaky([terminated()], 'row').query));
  t.is(db.breakerState, 'open');

  const untouched = flaky([], 'rows');
  const started = performance.now();
  await unavailable(t, db.read(untouched.query));
  t.true(performance.now() - started < 50);
  t.is(untouched.calls(), 0);
  t.deepEqual(states, ['open']);
});

test('after halfOpenAfter one probe goes through: a failure opens again, a success closes', async (t) => {
  const db = database();
  const states: string[] = [];
  db.onBreakerStateChange((state) => states.push(state));
  for (let i = 0; i < 3; i++) await unavailable(t, db.write(flaky([terminated()], 'row').query));

  await sleep(60);
  const failedProbe = flaky([terminated()], 'row');
  await unavailable(t, db.write(failedProbe.query));
  t.is(failedProbe.calls(), 1);
  t.is(db.breakerState, 'open');
  const refused = flaky([], 'rows');
  await unavailable(t, db.read(refused.query));
  t.is(refused.calls(), 0, 'open again for another halfOpenAfter');

  await sleep(60);
  t.is(await db.read(flaky([], 'rows').query), 'rows');
  t.is(db.breakerState, 'closed');
  t.is(await db.read(flaky([], 'more').query), 'more');
  t.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed']);
});

test('an open breaker ends retries at once: every attempt counts towards it', async (t) => {
  const reads = flaky(
    Array.from({ length: 10 }, () => pgError('ECONNREFUSED')),
    'rows',
  );
  await unavailable(t, database({ ...FAST, breakerThreshold: 2 }).read(reads.query));
  t.is(reads.calls(), 2);
});

test("the request's own errors never open the breaker", async (t) => {
  const db = database();
  for (let i = 0; i < 10; i++) await t.throwsAsync(db.write(flaky([pgError('23505')], 'row').query));
  t.is(db.breakerState, 'closed');
});
