import { availableParallelism } from 'node:os';
import { argon2idHasher } from '../api/src/domain/passwords/password-hasher.js';

/**
 * How many argon2id verifications a second this machine does with every core busy, at the API's
 * parameters and through the same library: the ceiling a successful login can approach.
 */
export async function argon2VerifyRate(seconds: number): Promise<{ perSecond: number; workers: number }> {
  const password = 'correct horse battery staple';
  const hash = await argon2idHasher.hash(password);
  const workers = availableParallelism();
  const deadline = performance.now() + seconds * 1000;
  let verified = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        if (!(await argon2idHasher.verify(hash, password))) throw new Error('argon2id refused its own hash');
        verified += 1;
      }
    }),
  );
  return { perSecond: verified / ((performance.now() - started) / 1000), workers };
}
