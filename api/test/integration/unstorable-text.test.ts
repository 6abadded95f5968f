import test from 'ava';
import { ResilientDatabase } from '../../src/db/resilient-database.js';
import { DomainError } from '../../src/errors.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { connectedToFreshDatabase } from '../support/connected-database.js';

/*
 * The request schemas refuse what PostgreSQL cannot store; these go past them, straight to the
 * repositories, to prove the safety net behind them: a 400, never a 500.
 */

const suite = connectedToFreshDatabase({ queryTimeoutSeconds: 5, migrated: true });
const resilient = () => new ResilientDatabase(suite.database.knex);

const refusal = async (t: import('ava').ExecutionContext, work: Promise<unknown>) => {
  const error = await t.throwsAsync(work);
  t.true(error instanceof DomainError, String(error));
  t.like(error, { code: 'validation.failed', status: 400 });
};

test('a name holding U+0000 that reaches PostgreSQL (22021) is refused as bad input', async (t) => {
  const users = new UserRepository(resilient(), () => {});
  await refusal(
    t,
    users.create({ email: 'nul@example.test', displayName: 'Ada\u0000', passwordHash: 'unused' }),
  );
  const user = await users.create({ email: 'ada@example.test', displayName: 'Ada', passwordHash: 'unused' });
  await refusal(t, users.updateDisplayName(user.id, '\u0000', new Date()));
});

test('a JSON escape PostgreSQL cannot represent (22P05) is refused as bad input', async (t) => {
  await refusal(
    t,
    resilient().read((knex) => knex.raw('select ?::jsonb as value', ['"\\u0000"'])),
  );
});

test('bad input leaves the circuit breaker closed', async (t) => {
  const database = resilient();
  for (let attempt = 0; attempt < 10; attempt += 1) {
    await t.throwsAsync(database.read((knex) => knex.raw('select ?::text', ['\u0000'])));
  }
  t.is(database.breakerState, 'closed');
});
