import { type Algorithm, hash, verify } from '@node-rs/argon2';

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
