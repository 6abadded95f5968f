import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { generateKeyEntry } from '../../src/domain/tokens/key-set.js';
import { startApi, type TestApi, type TestApiOptions } from './api-server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface InstancesOnCuttableRedis {
  /** Two instances of the API, as behind a load balancer: a token from one works on the other. */
  instances: [TestApi, TestApi];
  /**
   * Redis is cut here rather than by killing a server: the shared Redis keeps running, and a cut
   * both drops the open connections and refuses new ones until restored, as a Redis gone dark.
   */
  proxy: TcpProxy;
}

/**
 * For a test file: two API instances on one database, one signing key and, through a proxy the
 * test can cut, one Redis, their counters under `keyPrefix`. Each takes a client's address from
 * X-Forwarded-For, as behind an Ingress. Started before the first test, torn down (keys included)
 * after the last; the returned object is filled in by the `before` hook.
 */
export function instancesOnCuttableRedis(
  keyPrefix: string,
  env: Record<string, string>,
  options: TestApiOptions,
): InstancesOnCuttableRedis {
  const suite = {} as InstancesOnCuttableRedis;
  let database: TestDatabase | undefined;
  let keysFolder: string | undefined;

  test.before(async () => {
    database = await createTestDatabase();
    keysFolder = await mkdtemp(join(tmpdir(), 'skeleton-cuttable-redis-'));
    const keysFile = join(keysFolder, 'keys.json');
    await writeFile(keysFile, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
    const { hostname, port } = new URL(REDIS_URL);
    suite.proxy = await startTcpProxy({ host: hostname, port: Number(port || 6379) });
    const apiEnv = {
      DATABASE_URL: database.url,
      JWT_KEYS_FILE: keysFile,
      REDIS_URL: suite.proxy.route(REDIS_URL),
      REDIS_KEY_PREFIX: keyPrefix,
      TRUST_PROXY_HOPS: '1',
      ...env,
    };
    // One after the other: both would otherwise run the migrations at once.
    const first = await startApi(apiEnv, options);
    suite.instances = [first, await startApi(apiEnv, options)];
  });

  test.after.always(async () => {
    for (const api of suite.instances ?? []) await api.close();
    await suite.proxy?.close();
    await database?.drop();
    if (keysFolder) await rm(keysFolder, { recursive: true, force: true });
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${keyPrefix}*`);
    if (keys.length > 0) await cleaner.del(...keys);
    cleaner.disconnect();
  });
  return suite;
}
