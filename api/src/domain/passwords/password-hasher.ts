import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { serviceOverloaded } from '../../errors.js';
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

export interface HashingLimits {
  maxConcurrent: number;
  /** Hashes that may wait for a slot; the next is refused with 503 service.overloaded. */
  maxWaiting: number;
  /** What the refusal's Retry-After says. */
  retryAfterSeconds: number;
  /** Called for each refused hash, to count it. */
  onRefused: () => void;
}

export interface LimitedHasher extends PasswordHasher {
  readonly running: number;
  readonly waiting: number;
}

/**
 * At most `maxConcurrent` hashes at once, and at most `maxWaiting` waiting for one. Each argon2id
 * call holds a libuv thread-pool thread and 19 MiB for tens of milliseconds; unbounded, a burst of
 * logins takes every thread and core, and everything else that uses the pool (WebCrypto
 * signatures behind every token, zlib) queues behind it. It also caps the memory a login flood
 * can claim. The bounded line keeps the wait of an admitted hash short: past it, a request is
 * answered 503 at once instead of after a wait that grows with the flood.
 */
export function limitHashing(hasher: PasswordHasher, limits: HashingLimits): LimitedHasher {
  const queue = concurrencyLimit({
    maxConcurrent: limits.maxConcurrent,
    maxWaiting: limits.maxWaiting,
    refuse: () => {
      limits.onRefused();
      return serviceOverloaded(limits.retryAfterSeconds);
    },
  });
  return {
    hash: (password) => queue.run(() => hasher.hash(password)),
    verify: (passwordHash, password) => queue.run(() => hasher.verify(passwordHash, password)),
    get running() {
      return queue.running;
    },
    get waiting() {
      return queue.waiting;
    },
  };
}
