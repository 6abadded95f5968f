import test from 'ava';
import type { Knex } from 'knex';
import { DatabaseUnreachableError, waitForDatabase } from '../../src/db/wait-for-database.js';

const pgError = (code: string, message = `pg ${code}`) => Object.assign(new Error(message), { code });

/** A knex stand-in whose `select 1` fails with the given errors, in order, then answers. */
function flakyKnex(failures: Error[] | (() => Error)) {
  let attempts = 0;
  const knex = {
    async raw() {
      attempts++;
      const failure = typeof failures === 'function' ? failures() : failures.shift();
      if (failure) throw failure;
      return { rows: [{ '?column?': 1 }] };
    },
  } as unknown as Knex;
  return { knex, attempts: () => attempts };
}

const location = 'postgres://app:***@db.internal:5432/app';
const quick = { initialDelayMs: 1, maxDelayMs: 5 };

test('waits out unavailability with back-off, reporting each retry', async (t) => {
  const { knex, attempts } = flakyKnex([pgError('ECONNREFUSED'), pgError('57P03')]);
  const retries: Array<{ attempt: number; delayMs: number }> = [];
  await waitForDatabase(
    { knex, location },
    { ...quick, onRetry: ({ attempt, delayMs }) => retries.push({ attempt, delayMs }) },
  );
  t.is(attempts(), 3);
  t.deepEqual(
    retries.map((retry) => retry.attempt),
    [1, 2],
  );
  t.true(retries.every((retry) => retry.delayMs >= 0 && retry.delayMs <= 5));
});

test('gives up after its bound with an error naming the database', async (t) => {
  const { knex, attempts } = flakyKnex(() => pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.9:5432'));
  const started = Date.now();
  const error = await t.throwsAsync(waitForDatabase({ knex, location }, { ...quick, timeoutMs: 200 }), {
    instanceOf: DatabaseUnreachableError,
  });
  t.regex(
    error?.message ?? '',
    /^the database at postgres:\/\/app:\*\*\*@db\.internal:5432\/app is still unreachable after 0\.\d s: connect ECONNREFUSED/,
  );
  t.true(Date.now() - started < 1_000);
  t.true(attempts() > 3);
});

test('a failure that waiting cannot fix ends the wait at once', async (t) => {
  const wrongPassword = pgError('28P01', 'password authentication failed for user "app"');
  const { knex, attempts } = flakyKnex([wrongPassword]);
  t.is(await t.throwsAsync(waitForDatabase({ knex, location }, quick)), wrongPassword);
  t.is(attempts(), 1);
});
