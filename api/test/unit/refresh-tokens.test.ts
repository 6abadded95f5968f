import test from 'ava';
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

test('a sealed successor opens only with the token it was sealed under', (t) => {
  const token = generateRefreshToken();
  const pair = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };
  const sealed = sealSuccessor(token, pair);
  t.deepEqual(openSuccessor(token, sealed), pair);
  t.is(openSuccessor(generateRefreshToken(), sealed), undefined);
  const tampered = `${sealed.slice(0, -4)}${sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  t.is(openSuccessor(token, tampered), undefined);
  t.is(openSuccessor(token, 'short'), undefined);
});
