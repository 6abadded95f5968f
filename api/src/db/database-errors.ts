import { BrokenCircuitError } from 'cockatiel';
import { DomainError, databaseUnavailable, unstorableText } from '../errors.js';

/** PostgreSQL aborted and rolled back the work itself, so running it again is safe. */
const SERIALIZATION_SQLSTATES = new Set(['40001', '40P01']);

/** No connection was made, so no statement was sent: 57P03 is "the database system is starting up". */
const CONNECT_FAILURE_NODE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECT_FAILURE_SQLSTATES = new Set(['57P03']);

/** The connection went away; whatever was in flight on it may or may not have run. */
const CONNECTION_LOST_NODE_CODES = new Set(['ECONNRESET', 'EPIPE']);
const CONNECTION_LOST_SQLSTATES = new Set(['57P01', '57P02']);

/** Network and server-state failures: the database is not there, not the request at fault. */
const UNAVAILABLE_NODE_CODES = new Set([
  ...CONNECT_FAILURE_NODE_CODES,
  ...CONNECTION_LOST_NODE_CODES,
  'ETIMEDOUT',
]);
/** 57014 is a statement cancelled by statement_timeout: the database is too slow to answer now. */
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53', '57P', '57014'];

/**
 * Text PostgreSQL cannot hold: U+0000 in a string (22021) or a \u0000 escape in JSON (22P05). The
 * request schemas refuse both first; this is the net behind them, and the request is at fault.
 */
const UNSTORABLE_TEXT_SQLSTATES = new Set(['22021', '22P05']);

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

const codeOf = (error: unknown) => {
  const { code } = asDriverError(error);
  return typeof code === 'string' ? code : undefined;
};

const messageOf = (error: unknown) => {
  const { message } = asDriverError(error);
  return typeof message === 'string' ? message : '';
};

export function isSerializationFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && SERIALIZATION_SQLSTATES.has(code);
}

/** Connecting failed, so the statement that needed the connection never reached the server. */
export function isConnectFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (CONNECT_FAILURE_NODE_CODES.has(code) || CONNECT_FAILURE_SQLSTATES.has(code));
}

/** pg reports a server or proxy closing the socket with this message and no code. */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (CONNECTION_LOST_NODE_CODES.has(code) || CONNECTION_LOST_SQLSTATES.has(code))) {
    return true;
  }
  return /Connection terminated unexpectedly/.test(messageOf(error));
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = asDriverError(error);
  return driverError.code === '23505' && driverError.constraint === constraint;
}

export function isUnstorableText(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && UNSTORABLE_TEXT_SQLSTATES.has(code);
}

export function isUnavailable(error: unknown): boolean {
  if (asDriverError(error).name === 'KnexTimeoutError') return true;
  const code = codeOf(error);
  if (code !== undefined) {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (UNAVAILABLE_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return true;
  }
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded/i.test(messageOf(error));
}

/**
 * Turns a driver error, or the open circuit breaker's refusal, into the domain error a client
 * should see (503 when the database is not there, 400 for text it cannot store), or returns it unchanged when it is a bug (which the error mapper answers with a 500).
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (error instanceof BrokenCircuitError || isUnavailable(error)) return databaseUnavailable(error);
  if (isUnstorableText(error)) return unstorableText();
  return error;
}
