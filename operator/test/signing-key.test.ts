import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import test from 'ava';
import { generateSigningKey, isKeyPair, jwkThumbprint } from '../src/keys/signing-key.js';

const NOW = new Date('2025-03-01T12:00:00Z');

test('a generated key is an Ed25519 private JWK in the format the API reads', (t) => {
  const key = generateSigningKey('current', NOW);
  t.deepEqual(Object.keys(key).sort(), ['alg', 'createdAt', 'crv', 'd', 'kid', 'kty', 'state', 'x']);
  t.like(key, {
    alg: 'EdDSA',
    state: 'current',
    kty: 'OKP',
    crv: 'Ed25519',
    createdAt: '2025-03-01T12:00:00Z',
  });
  // 32 bytes each, base64url without padding.
  t.regex(key.x, /^[A-Za-z0-9_-]{43}$/);
  t.regex(key.d, /^[A-Za-z0-9_-]{43}$/);
  t.is(generateSigningKey('next', NOW).state, 'next');
});

test('the private half signs and the public half verifies, with node:crypto', (t) => {
  const key = generateSigningKey('current', NOW);
  const privateKey = createPrivateKey({
    key: { kty: key.kty, crv: key.crv, x: key.x, d: key.d },
    format: 'jwk',
  });
  const publicKey = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' });
  const message = Buffer.from('header.payload');
  const signature = sign(null, message, privateKey);
  t.true(verify(null, message, publicKey, signature));
  t.false(verify(null, Buffer.from('header.tampered'), publicKey, signature));
  t.true(isKeyPair(key));
});

test('the kid is the RFC 7638 thumbprint, so every key has its own', (t) => {
  const key = generateSigningKey('current', NOW);
  t.is(key.kid, jwkThumbprint(key));
  t.not(generateSigningKey('current', NOW).kid, key.kid);
  // RFC 8037, appendix A.3.
  t.is(
    jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }),
    'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  );
});

test('createdAt is whole seconds, rounded up so that no wait measured from it is cut short', (t) => {
  t.is(generateSigningKey('next', new Date('2025-03-01T12:00:00.001Z')).createdAt, '2025-03-01T12:00:01Z');
  t.is(generateSigningKey('next', new Date('2025-03-01T12:00:59.999Z')).createdAt, '2025-03-01T12:01:00Z');
});

test('halves of different keys, or a damaged private key, are not a key pair', (t) => {
  const one = generateSigningKey('current', NOW);
  const other = generateSigningKey('current', NOW);
  t.false(isKeyPair({ x: other.x, d: one.d }));
  t.false(isKeyPair({ x: one.x, d: one.d.slice(0, 20) }));
  t.false(isKeyPair({ x: one.x, d: '' }));
});
