import { randomBytes } from 'node:crypto';
import * as jose from 'jose';
import type { Clock } from '../../clock.js';
import { type KeySet, SIGNING_ALGORITHMS } from './key-set.js';

/** Its own media type, so a device token is never taken for an access token, nor one for it. */
export const DEVICE_TOKEN_TYPE = 'device+jwt';

export interface DeviceTokenSettings {
  issuer: string;
  ttlSeconds: number;
}

/**
 * A device token says "this client once proved it knew the password of this account": a random
 * device id (128 bits) bound to an account, signed with the same key set as access tokens, so it
 * needs no secret of its own and survives key rotation like they do.
 */
export class DeviceTokenService {
  constructor(
    private readonly keys: () => KeySet,
    private readonly settings: DeviceTokenSettings,
    private readonly clock: Clock,
  ) {}

  /** A token for a new device id, bound to `account` (an opaque, stable name of the account). */
  async issue(account: string): Promise<string> {
    const { current } = this.keys();
    const issuedAt = Math.floor(this.clock().getTime() / 1000);
    return new jose.SignJWT({})
      .setProtectedHeader({ alg: current.alg, kid: current.kid, typ: DEVICE_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setSubject(account)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.settings.ttlSeconds)
      .sign(current.privateKey);
  }

  /**
   * The device id of a token issued for `account`; undefined for anything else (forged, expired,
   * signed by a retired key, or issued for another account), which leaves the client a stranger.
   */
  async deviceOf(token: string, account: string): Promise<string | undefined> {
    const { byKid } = this.keys();
    try {
      const { payload } = await jose.jwtVerify(
        token,
        async ({ kid, alg }) => {
          const key = kid === undefined ? undefined : byKid.get(kid);
          if (key === undefined || key.alg !== alg) throw new Error('not a key of this set');
          return key.publicKey;
        },
        {
          algorithms: [...SIGNING_ALGORITHMS],
          issuer: this.settings.issuer,
          subject: account,
          typ: DEVICE_TOKEN_TYPE,
          currentDate: this.clock(),
          requiredClaims: ['jti', 'exp'],
        },
      );
      return payload.jti;
    } catch {
      return undefined;
    }
  }
}
