import test from 'ava';
import { generateKeyEntry, parseKeySet } from '../../src/domain/tokens/key-set.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  openSuccessor,
  sealSuccessor,
} from '../../src/domain/tokens/refresh-tokens.js';

test('refresh tokens carry 256 random bits and are stored only as a hash', (t) => {
  const token = generateRefreshToken();
  t.is(Buffer.from(token, 'base64url').length, 32);
  t.not(generateRefreshToken(), token);
  t.is(hashRefreshToken(token), hashRefreshToken(token));
  t.false(hashRefreshToken(token).includes(token));
});

const pair = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };

test('a sealed successor opens only with both the token and the key it was sealed under', async (t) => {
  const current = await generateKeyEntry('current');
  const keys = await parseKeySet({ keys: [current] });
  const token = generateRefreshToken();
  const sealed = sealSuccessor(keys, token, pair);
  t.true(sealed.startsWith(`${current.kid}.`), 'names the key it was sealed under');
  t.deepEqual(openSuccessor(keys, token, sealed), pair);
  t.is(openSuccessor(keys, generateRefreshToken(), sealed), undefined, 'another token');

  const otherKeys = await parseKeySet({
    keys: [{ ...(await generateKeyEntry('current')), kid: current.kid }],
  });
  t.is(openSuccessor(otherKeys, token, sealed), undefined, 'another server key under the same kid');

  const tampered = `${sealed.slice(0, -4)}${sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  t.is(openSuccessor(keys, token, tampered), undefined);
  t.is(openSuccessor(keys, token, 'short'), undefined);
  t.is(openSuccessor(keys, token, `${current.kid}.short`), undefined);
});

test('a key rotation does not break a seal; retiring its key does', async (t) => {
  const first = await generateKeyEntry('current');
  const second = await generateKeyEntry('current', 'ES256');
  const token = generateRefreshToken();
  const sealed = sealSuccessor(await parseKeySet({ keys: [first] }), token, pair);

  const rotated = await parseKeySet({ keys: [{ ...first, state: 'previous' }, second] });
  t.deepEqual(openSuccessor(rotated, token, sealed), pair);
  t.true(sealSuccessor(rotated, token, pair).startsWith(`${second.kid}.`), 'seals under the current key');

  const retired = await parseKeySet({ keys: [second] });
  t.is(openSuccessor(retired, token, sealed), undefined);
});

test('the sealing secret never appears in a serialised key set', async (t) => {
  const keys = await parseKeySet({ keys: [await generateKeyEntry('current')] });
  t.deepEqual(JSON.parse(JSON.stringify(keys.current.sealingSecret)), {});
});
