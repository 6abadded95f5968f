import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { concurrencyLimit } from './concurrency-limit.js';

/**
 * argon2id at the OWASP / ASVS minimum: 19 MiB, two passes, one lane. The algorithm is the
 * value of the library's const enum (Argon2id = 2), which isolated modules cannot reference.
 */
const ARGON2ID = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

/**
 * argon2id through @node-rs/argon2, whose async calls run on the libuv thread pool and so never
 * block the event loop.
 */
export const argon2idHasher: PasswordHasher = {
  hash: (password) => hash(password, ARGON2ID),
  async verify(passwordHash, password) {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  },
};

/**
 * At most `maxConcurrent` hashes at once. Each argon2id call holds a libuv thread-pool thread and
 * 19 MiB for tens of milliseconds; unbounded, a burst of logins takes every thread and core, and
 * everything else that uses the pool (WebCrypto signatures behind every token, zlib) queues
 * behind it. It also caps the memory a login flood can claim.
 */
export function limitHashing(hasher: PasswordHasher, maxConcurrent: number): PasswordHasher {
  const limited = concurrencyLimit(maxConcurrent);
  return {
    hash: (password) => limited(() => hasher.hash(password)),
    verify: (passwordHash, password) => limited(() => hasher.verify(passwordHash, password)),
  };
}
