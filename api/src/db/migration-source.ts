import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const migrationsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const migrationFile = /^\d{14}_[a-z0-9_]+\.(ts|js)$/;

interface MigrationEntry {
  name: string;
  file: string;
}

/**
 * Lists migrations by name without their extension: knex records the file name, and the same
 * migration runs as `.ts` under tsx in development and as `.js` from the compiled image.
 */
export const migrationSource: Knex.MigrationSource<MigrationEntry> = {
  async getMigrations() {
    return readdirSync(migrationsDirectory)
      .filter((file) => migrationFile.test(file))
      .sort()
      .map((file) => ({ name: file.replace(/\.(ts|js)$/, ''), file }));
  },
  getMigrationName(migration) {
    return migration.name;
  },
  async getMigration(migration) {
    const loaded = (await import(
      pathToFileURL(join(migrationsDirectory, migration.file)).href
    )) as Knex.Migration;
    return withoutStatementTimeout(loaded);
  },
};

/**
 * A schema change may rightly run far longer than DATABASE_QUERY_TIMEOUT allows a request's query.
 * knex runs each migration in a transaction of its own, so SET LOCAL lifts the limit for that one.
 */
export function withoutStatementTimeout(migration: Knex.Migration): Knex.Migration {
  const lifted =
    (step: (knex: Knex) => PromiseLike<unknown>) =>
    async (knex: Knex): Promise<void> => {
      await knex.raw('set local statement_timeout = 0');
      await step(knex);
    };
  return { ...migration, up: lifted(migration.up), down: migration.down && lifted(migration.down) };
}

export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(migrationConfig)) as [unknown, MigrationEntry[]];
  return pending.map((migration) => migration.name);
}
