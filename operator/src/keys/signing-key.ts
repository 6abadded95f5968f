import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { StoredKey } from './key-rotation.js';
import { keyTimestamp } from './timestamp.js';

interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/**
 * The RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, without
 * whitespace. Used as the kid, so a kid is unique because the key is, and anyone holding the public
 * key can recompute it.
 */
export function jwkThumbprint({ crv, kty, x }: Ed25519PublicJwk): string {
  return createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url');
}

/** A fresh Ed25519 key in the key-set format the API reads, created at `now`. */
export function generateSigningKey(state: 'next' | 'current', now: Date): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { x, d } = privateKey.export({ format: 'jwk' });
  const publicJwk: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: x as string };
  return {
    kid: jwkThumbprint(publicJwk),
    alg: 'EdDSA',
    state,
    ...publicJwk,
    d: d as string,
    createdAt: keyTimestamp(now),
  };
}

/**
 * Whether `d` is an Ed25519 private key whose public half is `x`. A key set whose halves disagree
 * would sign tokens that its own JWKS cannot verify.
 */
export function isKeyPair({ x, d }: { x: string; d: string }): boolean {
  try {
    const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
    return createPublicKey(privateKey).export({ format: 'jwk' }).x === x;
  } catch {
    return false;
  }
}
