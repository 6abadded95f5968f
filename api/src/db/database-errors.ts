import { DomainError, serviceUnavailable } from '../errors.js';

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** Network and server-state failures: the database is not there, not the request at fault. */
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53', '57P'];

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  name?: unknown;
  message?: unknown;
}

/** Objection wraps driver errors (db-errors); the SQLSTATE and constraint live on the original. */
function asDriverError(error: unknown): DriverError {
  if (typeof error !== 'object' || error === null) return {};
  const { nativeError } = error as { nativeError?: unknown };
  return typeof nativeError === 'object' && nativeError !== null ? nativeError : error;
}

export function isRetryable(error: unknown): boolean {
  const { code } = asDriverError(error);
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = asDriverError(error);
  return driverError.code === '23505' && driverError.constraint === constraint;
}

export function isUnavailable(error: unknown): boolean {
  const { code, name, message } = asDriverError(error);
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (UNAVAILABLE_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return true;
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|connect ECONNREFUSED|timeout exceeded/i.test(message)
  );
}

/**
 * Turns a driver error into the domain error a client should see, or returns it unchanged when
 * it is a bug (which the error mapper answers with a generic 500).
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (isUnavailable(error)) return serviceUnavailable();
  return error;
}
