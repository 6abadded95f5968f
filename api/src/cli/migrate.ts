import { loadDatabaseConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { migrationConfig, migrationSource } from '../db/migration-source.js';

const USAGE =
  'usage: migrate up|down|status\n  up      apply every pending migration\n  down    roll back the last batch\n  status  list applied and pending migrations; exit 1 if any is pending';

/**
 * The schema's own command line, run by `npm run migrate` and by the operator's migration Job.
 * Exit codes: 0 done, 1 pending migrations (status) or failure, 2 usage error.
 */
async function run(command: string | undefined): Promise<number> {
  if (command !== 'up' && command !== 'down' && command !== 'status') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { knex, location } = connectDatabase(loadDatabaseConfig());
  try {
    if (command === 'up') {
      const [batch, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
      process.stdout.write(
        applied.length === 0
          ? `${location}: already up to date\n`
          : `${location}: batch ${batch} applied ${applied.join(', ')}\n`,
      );
      return 0;
    }
    if (command === 'down') {
      const [batch, reverted] = (await knex.migrate.rollback(migrationConfig)) as [number, string[]];
      process.stdout.write(
        reverted.length === 0
          ? `${location}: nothing to roll back\n`
          : `${location}: batch ${batch} rolled back ${reverted.join(', ')}\n`,
      );
      return 0;
    }
    const [applied, pending] = (await knex.migrate.list(migrationConfig)) as [
      Array<{ name: string }>,
      Array<{ name: string }>,
    ];
    const names = (await migrationSource.getMigrations([])).map((migration) => migration.name);
    const appliedNames = new Set(applied.map((migration) => migration.name));
    for (const name of names)
      process.stdout.write(`${appliedNames.has(name) ? 'applied' : 'pending'}  ${name}\n`);
    return pending.length === 0 ? 0 : 1;
  } finally {
    await knex.destroy();
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
