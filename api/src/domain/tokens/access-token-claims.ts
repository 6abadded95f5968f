import type { JWTPayload } from 'jose';
import type { AccessTokenClaims } from './access-tokens.js';

export interface ClaimLimits {
  ttlSeconds: number;
  /** How far another replica's clock may be ahead of this one's. */
  clockSkewSeconds: number;
}

/** The textual form PostgreSQL's uuid type is sure to take; ids the API issues always have it. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * The claims of a token whose signature, issuer, audience, type and expiry have checked out, or
 * undefined when they are not claims this service would have issued: ids that are not UUIDs (they
 * would reach the database as uuid parameters), an `iat` in the future, or a lifetime longer than
 * the TTL, which only a holder of a signing key could have minted.
 */
export function acceptedClaims(
  { sub, sid, iat, exp }: JWTPayload,
  nowSeconds: number,
  { ttlSeconds, clockSkewSeconds }: ClaimLimits,
): AccessTokenClaims | undefined {
  if (!isUuid(sub) || !isUuid(sid)) return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  if (iat > nowSeconds + clockSkewSeconds) return undefined;
  if (exp - iat > ttlSeconds + clockSkewSeconds) return undefined;
  return { userId: sub, sessionId: sid };
}
