import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyEntry } from '../../api/src/domain/tokens/key-set.js';
import type { RunningServer } from '../processes.js';
import { PASSWORD } from './accounts.js';

export interface JourneyEnvironment {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Where the key file is written. */
  folder: string;
}

/** The API configured as the Deployment runs it: production mode, a key file, Redis-backed limits. */
export async function journeyApiEnvironment({
  databaseUrl,
  redisUrl,
  redisKeyPrefix,
  folder,
}: JourneyEnvironment): Promise<Record<string, string>> {
  const keysFile = join(folder, 'keys.json');
  await writeFile(keysFile, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    // The migration Job's work, done here at start-up instead.
    MIGRATE_ON_START: 'true',
    JWT_KEYS_FILE: keysFile,
    JWT_ISSUER: 'https://accounts.example.test',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    TRUST_PROXY_HOPS: '1',
    LOG_FORMAT: 'json',
    SHUTDOWN_DELAY: '0s',
  };
}

/** One account registered through the API, whose password hash the stored load accounts share. */
export async function registerTemplate(api: RunningServer): Promise<string> {
  const email = `load-template-${randomUUID()}@example.com`;
  const response = await fetch(`${api.origin}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.255.255.255' },
    body: JSON.stringify({ email, password: PASSWORD, name: 'Load Template' }),
  });
  if (response.status !== 201)
    throw new Error(`register answered ${response.status}: ${await response.text()}`);
  return email;
}
