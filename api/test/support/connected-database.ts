import test from 'ava';
import { connectDatabase, type Database } from '../../src/db/connect.js';
import { migrationConfig } from '../../src/db/migration-source.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface ConnectedDatabase {
  database: Database;
  testDatabase: TestDatabase;
}

/**
 * For a test file that talks to PostgreSQL without the API: a database of its own, connected
 * before the first test and dropped after the last. The returned object is filled in by the
 * `before` hook.
 */
export function connectedToFreshDatabase({
  queryTimeoutSeconds,
  migrated = false,
}: {
  queryTimeoutSeconds: number;
  /** With the API's tables. */
  migrated?: boolean;
}) {
  const suite = {} as ConnectedDatabase;
  test.before(async () => {
    suite.testDatabase = await createTestDatabase();
    suite.database = connectDatabase({
      url: suite.testDatabase.url,
      poolMax: 2,
      pgliteDataDir: 'unused',
      queryTimeoutSeconds,
    });
    if (migrated) await suite.database.knex.migrate.latest(migrationConfig);
  });
  test.after.always(async () => {
    await suite.database?.knex.destroy();
    await suite.testDatabase?.drop();
  });
  return suite;
}
