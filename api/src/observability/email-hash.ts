import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { normaliseEmail } from '../rate-limits/keys.js';

const KEY_NAME = 'email_hash';

/** Turns an email into the value logs carry instead of it. */
export type EmailHasher = (email: string) => string;

/**
 * A keyed hash of the normalised address: the same account gives the same value in every line
 * (so an attack on one account can be followed across lines and replicas) while the log holds no
 * address, and without the key nobody can test a guessed address against it. 128 bits.
 */
export function emailHasher(key: Buffer): EmailHasher {
  return (email) => createHmac('sha256', key).update(normaliseEmail(email)).digest('base64url').slice(0, 22);
}

/**
 * The key from the database, made on first use. Concurrent first starts race on the insert; the
 * primary key lets one win and every replica reads that one.
 */
export async function loadEmailHashKey(knex: Knex): Promise<Buffer> {
  await knex('log_keys')
    .insert({ name: KEY_NAME, secret: randomBytes(32) })
    .onConflict('name')
    .ignore();
  const row = (await knex('log_keys').where({ name: KEY_NAME }).first('secret')) as { secret: Buffer };
  return row.secret;
}
