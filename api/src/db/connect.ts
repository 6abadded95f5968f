import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import PGliteClient from 'knex-pglite';
import type { Logger } from 'pino';

export interface DatabaseSettings {
  url?: string;
  poolMax: number;
  pgliteDataDir: string;
  /** PostgreSQL cancels any statement running longer (migrations lift it); PGlite has none. */
  queryTimeoutSeconds?: number;
}

export interface Database {
  knex: Knex;
  /** `postgres` for a real server, `pglite` for the embedded development database. */
  kind: 'postgres' | 'pglite';
  /** Where the data lives, with any password removed, for start-up messages. */
  location: string;
}

/**
 * Opens the database the settings name: PostgreSQL when a URL is given, otherwise the embedded
 * PGlite in a local folder so `npm start` works on a machine with no database server.
 */
export function connectDatabase(settings: DatabaseSettings, logger?: Logger): Database {
  // knex otherwise writes its own warnings to the console, outside the JSON log.
  const log = logger && {
    warn: (message: unknown) => logger.warn({ knex: message }, 'database warning'),
    error: (message: unknown) => logger.error({ knex: message }, 'database error'),
    deprecate: (message: unknown) => logger.warn({ knex: message }, 'database deprecation'),
    debug: (message: unknown) => logger.debug({ knex: message }, 'database debug'),
  };
  if (settings.url) {
    const knex = knexFactory({
      log,
      client: 'pg',
      connection: {
        connectionString: settings.url,
        connectionTimeoutMillis: 3_000,
        // Enforced by the server, which cancels the statement cleanly and keeps the connection usable.
        statement_timeout:
          settings.queryTimeoutSeconds === undefined ? undefined : settings.queryTimeoutSeconds * 1000,
      },
      // Fail fast when the server is unreachable so requests get a 503 instead of hanging.
      acquireConnectionTimeout: 5_000,
      pool: { min: 0, max: settings.poolMax },
    });
    return { knex, kind: 'postgres', location: redactPassword(settings.url) };
  }
  const dataDir = resolve(settings.pgliteDataDir);
  mkdirSync(dataDir, { recursive: true });
  const knex = knexFactory({
    log,
    client: PGliteClient,
    dialect: 'postgres',
    connection: { connectionString: dataDir },
    acquireConnectionTimeout: 30_000,
  });
  return { knex, kind: 'pglite', location: dataDir };
}

export function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
