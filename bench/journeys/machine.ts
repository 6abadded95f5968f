import { cpus, release, totalmem } from 'node:os';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  redis: string;
}

/** What the figures were measured on: they mean little without it. */
export async function describeMachine(database: Knex, redis: Redis): Promise<Machine> {
  const processors = cpus();
  const { rows } = await database.raw<{ rows: Array<{ server_version: string }> }>('show server_version');
  const info = await redis.info('server');
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    postgres: rows[0]?.server_version ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}
