import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import type { KeySet } from './key-set.js';

/** 256 random bits, base64url: opaque to the client, never stored in clear. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps instead of the token: SHA-256 is enough for a 256-bit random secret. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The successor of a rotated token is sealed under a key that takes two secrets: the rotated
 * token, which only its holders have, and the signing key's sealing secret, which only the API
 * has. So a client that lost a race with its own concurrent refresh can be given the same pair
 * again, while a database dump opens nothing, not even together with an old token.
 */
function sealingKey(sealingSecret: KeyObject, token: string): Buffer {
  return createHmac('sha256', sealingSecret)
    .update('skeleton.refresh.successor-seal\0')
    .update(token)
    .digest();
}

/**
 * Seals under the current key and names it (`kid.`): a key rotation within the grace window does
 * not break the seal, and once that key is retired from the key set nothing can open it.
 */
export function sealSuccessor(keys: KeySet, token: string, successor: unknown): string {
  const { kid, sealingSecret } = keys.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(sealingSecret, token), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(successor), 'utf8'), cipher.final()]);
  return `${kid}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

export function openSuccessor<T>(keys: KeySet, token: string, sealed: string): T | undefined {
  // A kid may hold dots, base64url never does.
  const separator = sealed.lastIndexOf('.');
  const key = separator > 0 ? keys.byKid.get(sealed.slice(0, separator)) : undefined;
  if (!key) return undefined;
  try {
    const bytes = Buffer.from(sealed.slice(separator + 1), 'base64url');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      sealingKey(key.sealingSecret, token),
      bytes.subarray(0, 12),
    );
    decipher.setAuthTag(bytes.subarray(12, 28));
    const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
