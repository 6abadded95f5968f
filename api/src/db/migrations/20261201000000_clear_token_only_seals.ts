import type { Knex } from 'knex';

/**
 * Successors sealed before this version were encrypted under a key derived from the parent token
 * alone, so a copy of this table plus any old token recovered the live pair. The API now seals
 * under a server-side key as well and cannot open these any more; they are only a liability.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('refresh_tokens').whereNotNull('successor_sealed').update({ successor_sealed: null });
}

/** Nothing to restore: what was cleared was only ever needed for a few seconds. */
export async function down(): Promise<void> {}
