export interface CatalogueEntry {
  status: number;
  description: string;
}

/**
 * Every stable error code the API answers with, its HTTP status and what it means. The OpenAPI
 * document derives each operation's error responses from here, so a code is described once.
 */
export const errorCatalogue = {
  'validation.failed': {
    status: 400,
    description: 'A field of the body, query or path is invalid; `data` holds a message per field at fault.',
  },
  'request.malformed_json': { status: 400, description: 'The body is not valid JSON.' },
  'request.malformed': {
    status: 400,
    description: 'The request is not valid HTTP; the connection is closed after the answer.',
  },
  'request.timeout': {
    status: 408,
    description:
      'Over HTTP/1.1, the headers did not arrive within 15 s, or the whole request within 30 s; the connection is closed after the answer. Over HTTP/2, the stream was not over within 30 s; the stream is reset after the answer.',
  },
  'request.headers_too_large': {
    status: 431,
    description:
      'The request line and headers together are larger than 16 KiB; the connection is closed after the answer. Over HTTP/2 a header list that large resets its stream instead, with no answer.',
  },
  'auth.wrong_password': {
    status: 400,
    description:
      'The password given to confirm the change is not the account password; `data` names the field.',
  },
  'auth.missing_token': { status: 401, description: 'No `Authorization: Bearer` access token.' },
  'auth.invalid_token': {
    status: 401,
    description:
      'The access token is malformed, not signed by a published key, for another issuer or audience, or its session or account has ended.',
  },
  'auth.token_expired': { status: 401, description: 'The access token has expired; refresh the pair.' },
  'auth.invalid_credentials': {
    status: 401,
    description:
      'Unknown email, wrong password or an account that cannot sign in; the three are deliberately indistinguishable.',
  },
  'auth.invalid_refresh_token': {
    status: 401,
    description: 'The refresh token is unknown or expired, or its session has ended.',
  },
  'auth.refresh_token_reused': {
    status: 401,
    description:
      'An already rotated refresh token was presented after the grace window; the whole session has been ended.',
  },
  'auth.too_many_wrong_passwords': {
    status: 401,
    description:
      'The password given to confirm the change was wrong once too often in this session; the session has been ended (log in again). `data` names the field.',
  },
  'auth.forbidden': { status: 403, description: 'The account lacks the role this operation needs.' },
  'auth.cross_site_request': {
    status: 403,
    description:
      'The refresh cookie came with a request from an origin that is not allowed (`Origin` / `Sec-Fetch-Site`); the token is not used.',
  },
  'cors.origin_not_allowed': {
    status: 403,
    description: 'A CORS preflight from an origin that is not allowed to call the API from a browser.',
  },
  'session.not_found': {
    status: 404,
    description: 'No live session with this id belongs to the signed-in user.',
  },
  'route.not_found': { status: 404, description: 'No route has this path.' },
  'route.method_not_allowed': { status: 405, description: 'The route exists but not with this method.' },
  'user.already_exists': {
    status: 409,
    description: 'An account with this email already exists; `data.email` says so.',
  },
  'request.body_too_large': {
    status: 413,
    description: 'The body is larger than the configured limit (`BODY_LIMIT_BYTES`, 16 KiB by default).',
  },
  'request.unsupported_media_type': {
    status: 415,
    description: 'A body was sent with a media type other than `application/json`.',
  },
  'rate_limit.exceeded': {
    status: 429,
    description: 'Too many requests; `Retry-After` says how many seconds to wait.',
  },
  internal: {
    status: 500,
    description: 'An unexpected error; the message reveals nothing but the request id, which is in the logs.',
  },
  'db.unavailable': {
    status: 503,
    description:
      'The database is unreachable, or its circuit breaker is open after repeated failures; retry shortly.',
  },
  'service.overloaded': {
    status: 503,
    description:
      'Too many password hashes are already waiting (`PASSWORD_HASH_QUEUE_MAX`); nothing was done. `Retry-After` says how many seconds to wait before sending the same request again.',
  },
  'service.not_ready': {
    status: 503,
    description: 'The database is unreachable or not fully migrated; the message lists the failing checks.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];
