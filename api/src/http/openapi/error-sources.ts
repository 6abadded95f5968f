import type { ErrorCode } from './error-catalogue.js';

/** Codes raised by a mechanism several operations share rather than by the operation itself. */

/** Everything under /api/v1 is rate limited and reads the database; anything may fail unexpectedly. */
export const apiV1Errors = [
  'rate_limit.exceeded',
  'db.unavailable',
  'internal',
] as const satisfies ErrorCode[];

/** The bearer-token check in front of an operation (the session and account are looked up too). */
export const bearerErrors = [
  'auth.missing_token',
  'auth.invalid_token',
  'auth.token_expired',
] as const satisfies ErrorCode[];

/** Reading a JSON body and validating it. */
export const jsonBodyErrors = [
  'validation.failed',
  'request.malformed_json',
  'request.body_too_large',
  'request.unsupported_media_type',
] as const satisfies ErrorCode[];

/** Checking or setting a password: the process-wide password-hashing queue refuses when it is full. */
export const passwordHashingErrors = ['service.overloaded'] as const satisfies ErrorCode[];
