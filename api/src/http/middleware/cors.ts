import cors from '@koa/cors';
import type { Middleware } from 'koa';
import { DomainError } from '../../errors.js';

const originNotAllowed = () =>
  new DomainError('cors.origin_not_allowed', 403, 'This origin may not call the API from a browser.');

/**
 * CORS for the configured origins only (ASVS 3.4.2), with credentials so the refresh cookie can
 * travel. A preflight from any other origin is refused outright, which tells a developer what is
 * wrong instead of leaving the browser to fail silently.
 */
export function corsAllowlist(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  const withHeaders = cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    credentials: true,
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-ID', 'traceparent', 'tracestate'],
    exposeHeaders: [
      'X-Request-ID',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
    ],
    maxAge: 600,
  }) as Middleware;
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    // Only browsers send Origin; other clients need no CORS headers, only the Vary that keeps a
    // shared cache from serving their answer to a browser.
    if (!origin) {
      ctx.set('Vary', 'Origin');
      return next();
    }
    const preflight = ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '';
    if (preflight && !allowed.has(origin)) throw originNotAllowed();
    return withHeaders(ctx, next);
  };
}
