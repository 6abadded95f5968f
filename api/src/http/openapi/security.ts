import { REFRESH_COOKIE } from '../refresh-cookie.js';

export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The access token of a pair: a JWT with `typ: at+jwt`, signed EdDSA or ES256 by a key published at `/.well-known/jwks.json`. Its session and account must still be live.',
  },
  refreshCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: REFRESH_COOKIE,
    description:
      'The refresh token in cookie transport (browsers): HttpOnly, Secure, SameSite=Strict. Accepted only from the origin of the API or an allowed one (`Origin` / `Sec-Fetch-Site`).',
  },
} as const;

type SecurityRequirement = Record<string, string[]>;

export const bearerAuth: SecurityRequirement[] = [{ bearerAuth: [] }];

/** The refresh token may come in the body (no scheme) or in the refresh cookie. */
export const refreshTokenInBodyOrCookie: SecurityRequirement[] = [{}, { refreshCookie: [] }];
