import type { Knex } from 'knex';
import type { Account } from './journey.js';

export const PASSWORD = 'correct horse battery staple';

/**
 * `count` accounts for one concurrency level, each from its own address so that the per-address
 * limits see what they would see in production: many people, not one flood.
 */
export function accountsFor(level: number, count: number): Account[] {
  return Array.from({ length: count }, (_, index) => ({
    email: `load-${level}-${index}@example.com`,
    password: PASSWORD,
    // 10.<level>.<high>.<low>: unique per level and user.
    address: `10.${level % 256}.${Math.floor(index / 256)}.${index % 256}`,
  }));
}

/**
 * Stores the accounts directly, all with the hash of one account registered through the API:
 * registering a thousand users through argon2id would take minutes and measure nothing we report.
 */
export async function storeAccounts(database: Knex, template: string, accounts: Account[]): Promise<void> {
  const { password_hash: hash } = await database('users').where({ email: template }).first('password_hash');
  await database.batchInsert(
    'users',
    accounts.map((account) => ({ email: account.email, display_name: 'Load User', password_hash: hash })),
    500,
  );
}
