import type { Knex } from 'knex';

/**
 * Secrets the API keys its log fields with, such as the one behind `emailHash`: in the database,
 * so every replica and every restart hashes an address the same way and no deployment has to
 * provision another secret. The API makes the row it needs on first start.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('log_keys', (table) => {
    table.text('name').primary();
    table.binary('secret').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('log_keys');
}
