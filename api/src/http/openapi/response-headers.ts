import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS } from '../device-cookie.js';
import { REFRESH_COOKIE } from '../refresh-cookie.js';

/** Response headers, declared once under components/headers and referenced by every response using them. */
export const responseHeaders = {
  'X-Request-ID': {
    description:
      'The request id (also `requestId` in failures): the one the caller sent when well formed, otherwise minted.',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description: 'Always `Bearer` on a 401.',
    schema: { type: 'string', const: 'Bearer' },
  },
  'Set-Cookie': {
    description: `Sets (login, refresh) or clears (logout, logout-all) the HttpOnly \`${REFRESH_COOKIE}\` cookie when the refresh token travels in it. A successful login also sets the HttpOnly \`${DEVICE_COOKIE}\` cookie (Secure, SameSite=Strict, ${DEVICE_COOKIE_MAX_AGE_SECONDS / 86_400} days): a signed device id bound to the account, which spares this client the limits strangers share; send it back on later logins and password confirmations.`,
    schema: { type: 'string' },
  },
  Allow: {
    description: 'The methods the path accepts, such as `GET, HEAD`.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Limit': {
    description:
      'Requests allowed in the current window of the limit that applies (IETF draft RateLimit headers).',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the current window ends.',
    schema: { type: 'integer', minimum: 0 },
  },
} as const;

export type ResponseHeader = keyof typeof responseHeaders;

export const headerRefs = (names: readonly ResponseHeader[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
