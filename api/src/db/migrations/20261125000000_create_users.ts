import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('email').notNullable();
    table.text('display_name').notNullable();
    table.text('password_hash').notNullable();
    table.text('role').notNullable().defaultTo('user');
    table.text('status').notNullable().defaultTo('active');
    // Millisecond precision, like a JavaScript Date, so a pagination cursor round-trips exactly.
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('password_changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('deleted_at', { useTz: true }).nullable();
    table.check("role in ('user', 'admin')", [], 'users_role_check');
    table.check("status in ('active', 'disabled')", [], 'users_status_check');
  });
  // One live account per address whatever its case; a deleted account frees its address.
  await knex.raw('create unique index users_email_unique on users (lower(email)) where deleted_at is null');
  // Serves the admin listing, newest first, with a keyset cursor.
  await knex.raw('create index users_created_at_id on users (created_at desc, id desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
