import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import type { Clock } from '../../clock.js';
import { invalidToken, tokenExpired } from '../../errors.js';
import { acceptedClaims, type ClaimLimits } from './access-token-claims.js';
import { type KeySet, SIGNING_ALGORITHMS, type SigningKey } from './key-set.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** RFC 9068 media type: an access token can never be mistaken for another kind of JWT. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

export interface AccessTokenSettings extends ClaimLimits {
  issuer: string;
  audience: string;
}

/**
 * Signs with the current key and verifies against every published key. The key set is read
 * through a getter so a reloaded key set takes effect without rebuilding the service.
 */
export class AccessTokenService {
  private readonly verified = new VerifiedTokenCache<AccessTokenClaims>();

  constructor(
    private readonly keys: () => KeySet,
    private readonly settings: AccessTokenSettings,
    private readonly clock: Clock,
  ) {}

  async issue({ userId, sessionId }: AccessTokenClaims): Promise<IssuedAccessToken> {
    const { current } = this.keys();
    const issuedAt = Math.floor(this.clock().getTime() / 1000);
    const token = await new jose.SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: current.alg, kid: current.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.settings.ttlSeconds)
      .sign(current.privateKey);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /**
   * Accepts only our own tokens: a known `kid`, the algorithm that key was made for (so `none`,
   * HS256 and key-confusion tricks fail), our issuer and audience, the access-token type, and
   * claims of the shape and lifetime this service issues.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const keySet = this.keys();
    const now = this.clock();
    const remembered = this.verified.get(token, keySet, now.getTime());
    if (remembered) return remembered;
    const { byKid } = keySet;
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(
        token,
        async (header) => {
          const key = header.kid === undefined ? undefined : byKid.get(header.kid);
          if (!key || header.alg !== key.alg) throw invalidToken();
          return key.publicKey;
        },
        {
          algorithms: [...SIGNING_ALGORITHMS],
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          typ: ACCESS_TOKEN_TYPE,
          currentDate: now,
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        },
      );
      const claims = acceptedClaims(payload, Math.floor(now.getTime() / 1000), this.settings);
      if (!claims) throw invalidToken();
      // The key resolver above only lets a token through with a kid of this set.
      const key = byKid.get(protectedHeader.kid as string) as SigningKey;
      this.verified.set(token, keySet, key, claims, (payload.exp as number) * 1000);
      return claims;
    } catch (error) {
      if (error instanceof jose.errors.JWTExpired) throw tokenExpired();
      throw invalidToken();
    }
  }
}
