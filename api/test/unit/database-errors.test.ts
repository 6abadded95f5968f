import test from 'ava';
import type { Knex } from 'knex';
import {
  isRetryable,
  isUnavailable,
  isUniqueViolation,
  toDomainError,
} from '../../src/db/database-errors.js';
import { inTransaction } from '../../src/db/transaction.js';
import { DomainError } from '../../src/errors.js';

const pgError = (code: string, extra: object = {}) =>
  Object.assign(new Error(`pg ${code}`), { code, ...extra });
const wrapped = (nativeError: Error) => Object.assign(new Error('wrapped'), { nativeError });

test('classifies PostgreSQL and network errors, also when objection wraps them', (t) => {
  t.true(isRetryable(pgError('40001')));
  t.true(isRetryable(wrapped(pgError('40P01'))));
  t.false(isRetryable(pgError('23505')));
  t.true(
    isUniqueViolation(wrapped(pgError('23505', { constraint: 'users_email_unique' })), 'users_email_unique'),
  );
  t.false(isUniqueViolation(pgError('23505', { constraint: 'other' }), 'users_email_unique'));
  for (const code of ['ECONNREFUSED', 'ETIMEDOUT', '08006', '57P01', '53300'])
    t.true(isUnavailable(pgError(code)), code);
  t.true(
    isUnavailable(
      Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
    ),
  );
  t.false(isUnavailable(pgError('23505')));
  t.false(isUnavailable(null));
});

test('toDomainError turns only unavailability into a domain error', (t) => {
  const unavailable = toDomainError(pgError('ECONNREFUSED'));
  t.true(unavailable instanceof DomainError);
  t.is((unavailable as DomainError).status, 503);
  const bug = new TypeError('bug');
  t.is(toDomainError(bug), bug);
});

/** A knex stand-in whose transactions fail with the given errors before succeeding. */
function flakyKnex(failures: Error[]) {
  let calls = 0;
  const knex = {
    async transaction<T>(work: (trx: Knex.Transaction) => Promise<T>) {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return work({} as Knex.Transaction);
    },
  } as unknown as Knex;
  return { knex, calls: () => calls };
}

const noWait = async () => {};

test('serialization failures and deadlocks are retried, then succeed', async (t) => {
  const { knex, calls } = flakyKnex([pgError('40001'), pgError('40P01')]);
  t.is(await inTransaction(knex, async () => 'done', { backoff: noWait }), 'done');
  t.is(calls(), 3);
});

test('retries stop after the last attempt', async (t) => {
  const { knex, calls } = flakyKnex([pgError('40001'), pgError('40001'), pgError('40001'), pgError('40001')]);
  await t.throwsAsync(
    inTransaction(knex, async () => 'done', { backoff: noWait }),
    { message: 'pg 40001' },
  );
  t.is(calls(), 3);
});

test('other errors are not retried; connection failures become 503', async (t) => {
  const unique = flakyKnex([pgError('23505')]);
  await t.throwsAsync(
    inTransaction(unique.knex, async () => 'x', { backoff: noWait }),
    { message: 'pg 23505' },
  );
  t.is(unique.calls(), 1);
  const down = flakyKnex([pgError('ECONNREFUSED')]);
  const error = await t.throwsAsync(inTransaction(down.knex, async () => 'x', { backoff: noWait }));
  t.is((error as unknown as DomainError).code, 'service.unavailable');
});
