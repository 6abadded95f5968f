import { type Algorithm, hash, type Options, parseOptions, type Version, verify } from '@node-rs/argon2';
import { serviceOverloaded } from '../../errors.js';
import { concurrencyLimit } from './concurrency-limit.js';

/**
 * argon2id at the OWASP / ASVS minimum: 19 MiB, two passes, one lane, version 0x13, 32-byte output.
 * The algorithm and version are the values of the library's const enums (Argon2id = 2,
 * V0x13 = 1), which isolated modules cannot reference. Every field is spelled out, because a
 * stored hash made with any other value is upgraded at the next login (see `needsRehash`).
 */
const ARGON2ID = {
  algorithm: 2 as Algorithm,
  version: 1 as Version,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const satisfies Options;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Whether a stored hash was made otherwise than `hash` makes one now, so should be replaced. */
  needsRehash(passwordHash: string): boolean;
}

/** Compares the parameters a PHC string records with the configured ones; unreadable means replace. */
function madeWithOtherParameters(passwordHash: string): boolean {
  try {
    const made = parseOptions(passwordHash);
    return (Object.keys(ARGON2ID) as (keyof typeof ARGON2ID)[]).some((name) => made[name] !== ARGON2ID[name]);
  } catch {
    return true;
  }
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
  needsRehash: madeWithOtherParameters,
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
  /**
   * Refuses at once, as a hash would be, when the line is full: lets a request that will need a
   * hash be shed before it does any other work (a database lookup) for nothing.
   */
  shedIfFull(): void;
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
    needsRehash: (passwordHash) => hasher.needsRehash(passwordHash),
    shedIfFull: () => queue.refuseIfFull(),
    get running() {
      return queue.running;
    },
    get waiting() {
      return queue.waiting;
    },
  };
}
