import { z } from 'zod';
import { SIGNING_ALGORITHMS } from '../../domain/tokens/key-set.js';
import type { SessionView } from '../../services/account-service.js';
import type { TokenPair } from '../../services/auth-service.js';
import type { PublicUser } from '../../services/user-view.js';
import { REFRESH_COOKIE } from '../refresh-cookie.js';

/**
 * What the API answers with, once. Objects are strict so that a field the API starts sending
 * without documenting it (a leaked hash, say) fails response validation; `satisfies` ties each
 * schema to the type the services return.
 */

const timestamp = z.iso.datetime();

export const user = z
  .strictObject({
    id: z.uuid(),
    // The address as accepted: the pattern the API checks, not format email, whose RFC 5321 limits
    // (64-character local part, 63-character labels) the API has never enforced.
    email: z.string().regex(z.regexes.email),
    name: z.string(),
    role: z.enum(['user', 'admin']).meta({ description: 'Admins are made from the command line only.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'User' }) satisfies z.ZodType<PublicUser>;

const tokenPairShape = {
  accessToken: z.string().meta({
    description: 'A JWT (`typ: at+jwt`) to send as `Authorization: Bearer <accessToken>`.',
  }),
  refreshToken: z
    .string()
    .optional()
    .meta({
      description: `Single use: present it once to get the next pair. Absent in cookie transport, where it travels in the HttpOnly \`${REFRESH_COOKIE}\` cookie instead (login with \`refreshTokenTransport: "cookie"\`, or a refresh authenticated by that cookie).`,
    }),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive().meta({ description: 'Seconds until the access token expires.' }),
};

type TokenPairView = Omit<TokenPair, 'refreshToken'> & Partial<Pick<TokenPair, 'refreshToken'>>;

export const tokenPair = z
  .strictObject(tokenPairShape)
  .meta({ id: 'TokenPair' }) satisfies z.ZodType<TokenPairView>;

export const loginResult = z
  .strictObject({ ...tokenPairShape, user })
  .meta({ id: 'LoginResult', description: 'A token pair and the signed-in user.' }) satisfies z.ZodType<
  TokenPairView & { user: PublicUser }
>;

export const session = z
  .strictObject({
    id: z.uuid(),
    current: z.boolean().meta({ description: 'True for the session of the access token that asked.' }),
    createdAt: timestamp,
    lastUsedAt: timestamp,
    expiresAt: timestamp.meta({ description: 'When the session ends however active it is.' }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .meta({ id: 'Session' }) satisfies z.ZodType<SessionView>;

export const userPage = z
  .strictObject({
    users: z.array(user).meta({ description: 'Newest first.' }),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'UserPage' });

const publicJwk = z
  .strictObject({
    kty: z.enum(['OKP', 'EC']),
    crv: z.enum(['Ed25519', 'P-256']),
    x: z.string(),
    y: z.string().optional().meta({ description: 'EC keys only.' }),
    kid: z.string(),
    alg: z.enum(SIGNING_ALGORITHMS),
    use: z.literal('sig'),
  })
  .meta({ id: 'PublicJwk', description: 'A public signing key; never any private parameter.' });

export const jwks = z.strictObject({ keys: z.array(publicJwk) }).meta({
  id: 'Jwks',
  description: 'Every key that may verify an access token: next, current and previous.',
});

export const liveness = z.strictObject({ status: z.literal('live') });

export const readiness = z.strictObject({
  status: z.literal('ready'),
  checks: z.record(z.string(), z.string()).meta({
    description: 'The state of each check, e.g. `{"database": "ok", "migrations": "applied"}`.',
  }),
});

export const openApiDocument = z
  .object({ openapi: z.literal('3.1.0'), info: z.object({ title: z.string(), version: z.string() }) })
  .meta({ description: 'This document.' });
