import test from 'ava';
import { BrokenCircuitError } from 'cockatiel';
import {
  isConnectFailure,
  isConnectionLost,
  isSerializationFailure,
  isUnavailable,
  isUniqueViolation,
  toDomainError,
} from '../../src/db/database-errors.js';
import { DomainError } from '../../src/errors.js';

const pgError = (code: string, extra: object = {}) =>
  Object.assign(new Error(`pg ${code}`), { code, ...extra });
const wrapped = (nativeError: Error) => Object.assign(new Error('wrapped'), { nativeError });
const terminated = () => new Error('Connection terminated unexpectedly');

test('classifies PostgreSQL and network errors, also when objection wraps them', (t) => {
  t.true(isSerializationFailure(pgError('40001')));
  t.true(isSerializationFailure(wrapped(pgError('40P01'))));
  t.false(isSerializationFailure(pgError('23505')));
  t.true(
    isUniqueViolation(wrapped(pgError('23505', { constraint: 'users_email_unique' })), 'users_email_unique'),
  );
  t.false(isUniqueViolation(pgError('23505', { constraint: 'other' }), 'users_email_unique'));
  for (const code of ['ECONNREFUSED', 'ETIMEDOUT', '08006', '57P01', '53300', '57014'])
    t.true(isUnavailable(pgError(code)), code);
  t.true(isUnavailable(terminated()));
  t.true(
    isUnavailable(
      Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
    ),
  );
  t.false(isUnavailable(pgError('23505')));
  t.false(isUnavailable(null));
});

test('a failure to connect is told apart from a connection lost while in use', (t) => {
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', '57P03']) t.true(isConnectFailure(pgError(code)), code);
  t.true(isConnectFailure(wrapped(pgError('ECONNREFUSED'))));
  for (const error of [pgError('ECONNRESET'), pgError('57P01'), terminated()]) {
    t.false(isConnectFailure(error), error.message);
    t.true(isConnectionLost(error), error.message);
  }
  t.false(isConnectionLost(pgError('ECONNREFUSED')));
  t.false(isConnectionLost(pgError('57014')), 'a statement timeout leaves the connection in place');
});

test('toDomainError turns unavailability and the open breaker into db.unavailable, nothing else', (t) => {
  for (const cause of [pgError('ECONNREFUSED'), new BrokenCircuitError()]) {
    const unavailable = toDomainError(cause);
    t.true(unavailable instanceof DomainError);
    t.like(unavailable, { code: 'db.unavailable', status: 503, cause });
  }
  const bug = new TypeError('bug');
  t.is(toDomainError(bug), bug);
  const unique = pgError('23505');
  t.is(toDomainError(unique), unique);
});

test('text the database cannot store (22021, 22P05) is a 400 on the body, also when objection wraps it', (t) => {
  for (const cause of [pgError('22021'), pgError('22P05'), wrapped(pgError('22021'))]) {
    const refused = toDomainError(cause);
    t.true(refused instanceof DomainError);
    t.like(refused, {
      code: 'validation.failed',
      status: 400,
      fields: { body: 'holds a character that cannot be stored' },
    });
  }
  t.false(isUnavailable(pgError('22021')), 'bad input must not open the circuit breaker');
});
