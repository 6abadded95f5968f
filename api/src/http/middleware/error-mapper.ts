import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { toDomainError } from '../../db/database-errors.js';
import { DomainError, methodNotAllowed, routeNotFound } from '../../errors.js';
import { error, fail } from '../jsend.js';
import { requestLogger } from './access-log.js';

interface HttpLikeError {
  status?: unknown;
  expose?: unknown;
}

/** Errors Koa and the router raise themselves, mapped onto the same stable codes. */
function fromHttpError(thrown: unknown): DomainError | undefined {
  const status = (thrown as HttpLikeError | null)?.status;
  if (status === 404) return routeNotFound();
  if (status === 405 || status === 501) return methodNotAllowed();
  return undefined;
}

/**
 * The single place errors become responses: domain errors become JSend `fail` (4xx) or `error`
 * (5xx) with their stable code; anything else is logged in full and answered with a generic 500
 * that reveals nothing but the request id.
 */
export function errorMapper(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined) {
        if (ctx.status === 404) throw routeNotFound();
        // The router's answer to a method the path or no route implements; it has set Allow.
        if (ctx.status === 405 || ctx.status === 501) throw methodNotAllowed();
      }
    } catch (thrown) {
      const mapped = toDomainError(thrown);
      const domainError = mapped instanceof DomainError ? mapped : fromHttpError(thrown);
      const { requestId } = ctx.state;
      const log = requestLogger(ctx, logger);
      if (domainError === undefined) {
        log.error({ err: thrown }, 'unhandled error');
        ctx.status = 500;
        ctx.body = error('internal', 'Internal server error.', requestId);
        return;
      }
      ctx.status = domainError.status;
      if (domainError.headers) ctx.set(domainError.headers);
      if (domainError.status === 401) ctx.set('WWW-Authenticate', 'Bearer');
      if (domainError.status >= 500) {
        // A failure the code raised on purpose (a full hashing queue) has a stack of no interest,
        // and serialising one for every refusal of a flood costs the CPU the flood is short of.
        const detail = thrown instanceof DomainError ? {} : { err: thrown };
        log.warn({ ...detail, code: domainError.code }, domainError.message);
        ctx.body = error(domainError.code, domainError.message, requestId);
      } else {
        ctx.body = fail(domainError.code, domainError.message, domainError.fields ?? {}, requestId);
      }
    }
  };
}
