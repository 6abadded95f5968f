import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A session is one login: the family every rotated refresh token of that login belongs to.
  await knex.schema.createTable('sessions', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_used_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.text('revoked_reason').nullable();
    table.text('user_agent').nullable();
    table.text('ip').nullable();
    table.index(['user_id'], 'sessions_user_id');
  });
  await knex.schema.createTable('refresh_tokens', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('session_id').notNullable().references('id').inTable('sessions').onDelete('CASCADE');
    table.uuid('parent_id').nullable().references('id').inTable('refresh_tokens').onDelete('CASCADE');
    table.text('token_hash').notNullable().unique('refresh_tokens_token_hash_unique');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('rotated_at', { useTz: true }).nullable();
    // The pair handed out at rotation, encrypted under a key derived from this token, so a
    // concurrent client presenting this token within the grace window receives the same pair.
    table.text('successor_sealed').nullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.text('revoked_reason').nullable();
    table.index(['session_id'], 'refresh_tokens_session_id');
  });
  // A token has at most one child: two live successors of one token can never exist.
  await knex.raw(
    'create unique index refresh_tokens_parent_unique on refresh_tokens (parent_id) where parent_id is not null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('refresh_tokens');
  await knex.schema.dropTable('sessions');
}
