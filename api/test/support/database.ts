import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  /** Drops the database (and stops its container, if one was started). */
  drop(): Promise<void>;
}

/** Where a PostgreSQL server already runs: the CI and development machines provide one. */
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function containerServer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (process.env.TESTCONTAINERS_DISABLED === '1') return undefined;
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:16-alpine').start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

const withDatabase = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, uniquely named database for one test file: in a testcontainers PostgreSQL where a
 * container engine is reachable, otherwise on the running server (TEST_DATABASE_SERVER_URL,
 * default 127.0.0.1:5432). Never skips: a test run without PostgreSQL fails loudly.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const container = await containerServer();
  const serverUrl = container?.url ?? process.env.TEST_DATABASE_SERVER_URL ?? DEFAULT_SERVER_URL;
  const name = `skeleton_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
      await container?.stop();
    },
  };
}
