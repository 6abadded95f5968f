import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import type { Role } from '../db/models.js';
import { ResilientDatabase } from '../db/resilient-database.js';
import { emailHasher, loadEmailHashKey } from '../observability/email-hash.js';
import { UserRepository } from '../repositories/user-repository.js';

const USAGE = [
  'usage: users promote|demote|email-hash <email>',
  '  promote     make the account an admin',
  '  demote      make the account a regular user',
  "  email-hash  print the emailHash the API's audit log lines carry for this address",
].join('\n');

const ROLE_BY_COMMAND: Record<string, Role> = { promote: 'admin', demote: 'user' };

/** Finds an account's lines in the audit log without the log holding its address. */
async function printEmailHash(email: string): Promise<number> {
  const { knex } = connectDatabase(loadConfig().database);
  try {
    process.stdout.write(`${emailHasher(await loadEmailHashKey(knex))(email)}\n`);
    return 0;
  } finally {
    await knex.destroy();
  }
}

/** Administrative roles are granted here, by someone with database access, never through the API. */
async function run(command: string | undefined, email: string | undefined): Promise<number> {
  if (command === 'email-hash' && email) return printEmailHash(email);
  const role = command === undefined ? undefined : ROLE_BY_COMMAND[command];
  if (!role || !email) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { knex } = connectDatabase(loadConfig().database);
  try {
    // Roles are checked against the database on every admin request, so no instance needs telling.
    const users = new UserRepository(new ResilientDatabase(knex), () => {});
    if (!(await users.setRole(email, role, systemClock()))) {
      process.stderr.write(`no live account with email ${email}\n`);
      return 1;
    }
    process.stdout.write(`${email} is now ${role === 'admin' ? 'an admin' : 'a regular user'}\n`);
    return 0;
  } finally {
    await knex.destroy();
  }
}

run(process.argv[2], process.argv[3]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`users failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
