import test from 'ava';
import knexFactory, { type Knex } from 'knex';
import { migrationConfig, pendingMigrations } from '../../src/db/migration-source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let knex: Knex;

test.before(async () => {
  database = await createTestDatabase();
  knex = knexFactory({ client: 'pg', connection: database.url });
});

test.after.always(async () => {
  await knex?.destroy();
  await database?.drop();
});

const tables = async () =>
  (
    await knex('information_schema.tables')
      .where({ table_schema: 'public' })
      .whereNot('table_name', 'like', 'knex_%')
      .pluck('table_name')
  ).sort();

const indexes = async (table: string) =>
  (await knex('pg_indexes').where({ tablename: table }).pluck('indexname')).sort();

test.serial('migrations go up, down and up again', async (t) => {
  t.deepEqual(await pendingMigrations(knex), [
    '20261125000000_create_users',
    '20261125000100_create_sessions',
    '20261201000000_clear_token_only_seals',
    '20261207000000_create_log_keys',
  ]);

  await knex.migrate.latest(migrationConfig);
  t.deepEqual(await tables(), ['log_keys', 'refresh_tokens', 'sessions', 'users']);
  t.deepEqual(await pendingMigrations(knex), []);
  t.true((await indexes('users')).includes('users_email_unique'));
  t.true((await indexes('refresh_tokens')).includes('refresh_tokens_parent_unique'));

  await knex.migrate.rollback(migrationConfig, true);
  t.deepEqual(await tables(), []);
  t.is((await pendingMigrations(knex)).length, 4);

  await knex.migrate.latest(migrationConfig);
  t.deepEqual(await tables(), ['log_keys', 'refresh_tokens', 'sessions', 'users']);
});

test.serial('one step at a time, down removes exactly what up added', async (t) => {
  await knex.migrate.rollback(migrationConfig, true);
  await knex.migrate.up(migrationConfig);
  t.deepEqual(await tables(), ['users']);
  await knex.migrate.up(migrationConfig);
  t.deepEqual(await tables(), ['refresh_tokens', 'sessions', 'users']);
  await knex.migrate.down(migrationConfig);
  t.deepEqual(await tables(), ['users']);
  await knex.migrate.latest(migrationConfig);
});

test.serial('the schema enforces what the code relies on', async (t) => {
  await knex.migrate.latest(migrationConfig);
  const [user] = await knex('users')
    .insert({ email: 'Case@Example.test', display_name: 'C', password_hash: 'h' })
    .returning('*');
  t.regex(user.id, /^[0-9a-f-]{36}$/);
  t.like(user, { role: 'user', status: 'active', deleted_at: null });

  const duplicate = await t.throwsAsync(
    knex('users').insert({ email: 'case@example.TEST', display_name: 'D', password_hash: 'h' }),
  );
  t.is((duplicate as unknown as { constraint: string }).constraint, 'users_email_unique');

  // A deleted account frees its address.
  await knex('users').where('id', user.id).update({ deleted_at: knex.fn.now() });
  await t.notThrowsAsync(
    knex('users').insert({ email: 'case@example.test', display_name: 'E', password_hash: 'h' }),
  );

  await t.throwsAsync(
    knex('users').insert({ email: 'r@x.test', display_name: 'R', password_hash: 'h', role: 'root' }),
  );

  const [session] = await knex('sessions')
    .insert({ user_id: user.id, expires_at: knex.fn.now() })
    .returning('id');
  const [parent] = await knex('refresh_tokens')
    .insert({ session_id: session.id, token_hash: 'p', expires_at: knex.fn.now() })
    .returning('id');
  await knex('refresh_tokens').insert({
    session_id: session.id,
    token_hash: 'c1',
    parent_id: parent.id,
    expires_at: knex.fn.now(),
  });
  const secondChild = await t.throwsAsync(
    knex('refresh_tokens').insert({
      session_id: session.id,
      token_hash: 'c2',
      parent_id: parent.id,
      expires_at: knex.fn.now(),
    }),
  );
  t.is((secondChild as unknown as { constraint: string }).constraint, 'refresh_tokens_parent_unique');
});

test.serial('successors sealed under the parent token alone are cleared', async (t) => {
  await knex.migrate.rollback(migrationConfig, true);
  await knex.migrate.up(migrationConfig);
  await knex.migrate.up(migrationConfig);
  const [user] = await knex('users')
    .insert({ email: 'sealed@example.test', display_name: 'S', password_hash: 'h' })
    .returning('id');
  const [session] = await knex('sessions')
    .insert({ user_id: user.id, expires_at: knex.fn.now() })
    .returning('id');
  await knex('refresh_tokens').insert([
    { session_id: session.id, token_hash: 'sealed', expires_at: knex.fn.now(), successor_sealed: 'old seal' },
    { session_id: session.id, token_hash: 'live', expires_at: knex.fn.now() },
  ]);

  await knex.migrate.latest(migrationConfig);
  t.deepEqual(await knex('refresh_tokens').whereNotNull('successor_sealed').pluck('token_hash'), []);
  t.is(Number((await knex('refresh_tokens').count({ count: '*' }))[0]?.count), 2, 'the tokens stay');
});
