import { hash } from '@node-rs/argon2';
import test from 'ava';
import { argon2idHasher } from '../../src/domain/passwords/password-hasher.js';

const ARGON2I = 1;
const ARGON2ID = 2;
const ARGON2_VERSION_0X10 = 0;
const configured = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

test('a hash made now with the configured parameters needs no rehash', async (t) => {
  t.false(argon2idHasher.needsRehash(await argon2idHasher.hash('a password')));
});

test('a hash whose PHC string records any other parameter needs one', async (t) => {
  const others = {
    memory: { ...configured, memoryCost: 12_288 },
    passes: { ...configured, timeCost: 3 },
    lanes: { ...configured, parallelism: 2 },
    output: { ...configured, outputLen: 64 },
    variant: { ...configured, algorithm: ARGON2I },
    version: { ...configured, version: ARGON2_VERSION_0X10 },
  };
  for (const [what, parameters] of Object.entries(others)) {
    t.true(argon2idHasher.needsRehash(await hash('a password', parameters)), what);
  }
});

test('a hash that is not an argon2 PHC string needs one', (t) => {
  t.true(argon2idHasher.needsRehash('$2b$10$abcdefghijklmnopqrstuuJ3wmB6dn2WLS2BwdyH8.yZ6P1IPRlNGy'));
  t.true(argon2idHasher.needsRehash(''));
});
