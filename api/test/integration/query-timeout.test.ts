import test from 'ava';
import { withoutStatementTimeout } from '../../src/db/migration-source.js';
import { ResilientDatabase } from '../../src/db/resilient-database.js';
import { DomainError } from '../../src/errors.js';
import { connectedToFreshDatabase } from '../support/connected-database.js';

const suite = connectedToFreshDatabase({ queryTimeoutSeconds: 1 });

test.serial(
  'a statement running past the query timeout is cancelled by the server, once, as db.unavailable',
  async (t) => {
    const { knex } = suite.database;
    const sent: string[] = [];
    const record = (query: { sql: string }) => sent.push(query.sql);
    knex.on('query', record);
    try {
      const resilient = new ResilientDatabase(knex);
      const started = Date.now();
      const error = await t.throwsAsync(resilient.read((db) => db.raw('select pg_sleep(3)')));
      const elapsed = Date.now() - started;
      t.true(error instanceof DomainError);
      t.is((error as DomainError).code, 'db.unavailable');
      t.true(elapsed >= 900 && elapsed < 2_500, `cancelled after ${elapsed} ms`);
      t.deepEqual(sent, ['select pg_sleep(3)'], 'not run again');
      t.deepEqual((await resilient.read((db) => db.raw('select 1 as one'))).rows, [{ one: 1 }]);
      t.is(resilient.breakerState, 'closed');
    } finally {
      knex.off('query', record);
    }
  },
);

test.serial('migrations lift the query timeout for their own transaction only', async (t) => {
  const { knex } = suite.database;
  const slowStep = { up: async (db: typeof knex) => db.raw('select pg_sleep(1.5)') };
  await t.throwsAsync(
    knex.transaction((trx) => slowStep.up(trx)),
    { message: /statement timeout/ },
  );
  await t.notThrowsAsync(knex.transaction(async (trx) => withoutStatementTimeout(slowStep).up(trx)));
  await t.throwsAsync(knex.raw('select pg_sleep(1.5)'), { message: /statement timeout/ });
});
