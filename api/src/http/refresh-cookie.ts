import type { Context } from 'koa';
import { DomainError } from '../errors.js';

/**
 * `__Host-` makes browsers refuse the cookie unless it is Secure, host-only and Path=/, so no
 * subdomain or plain-HTTP page can plant or read it.
 */
export const REFRESH_COOKIE = '__Host-skeleton-refresh';

/**
 * Sets a `__Host-` cookie with the attributes every cookie of this API has: sent back only over
 * HTTPS, never readable by page scripts, never on a cross-site request. Max-Age 0 clears it.
 */
export function setHostCookie(ctx: Context, name: string, value: string, maxAgeSeconds: number): void {
  ctx.append(
    'Set-Cookie',
    `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`,
  );
}

export function setRefreshCookie(ctx: Context, token: string, maxAgeSeconds: number): void {
  setHostCookie(ctx, REFRESH_COOKIE, token, maxAgeSeconds);
}

export function clearRefreshCookie(ctx: Context): void {
  setHostCookie(ctx, REFRESH_COOKIE, '', 0);
}

export function readRefreshCookie(ctx: Context): string | undefined {
  for (const pair of ctx.get('Cookie').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === REFRESH_COOKIE) {
      return pair.slice(separator + 1).trim() || undefined;
    }
  }
  return undefined;
}

export const crossSiteRequest = () =>
  new DomainError(
    'auth.cross_site_request',
    403,
    'A cookie-authenticated request must come from an allowed origin (Origin / Sec-Fetch-Site).',
  );

/**
 * CSRF defence for requests authenticated by the refresh cookie: the browser must say where the
 * request comes from, and it must be this API's own origin or one of the allowed origins.
 * Browsers send Origin on every cross-origin POST and Sec-Fetch-Site on every request, so a
 * request carrying neither is not from a browser page we trust.
 */
export function assertSameOriginRequest(ctx: Context, allowedOrigins: readonly string[]): void {
  const origin = ctx.get('Origin');
  if (origin) {
    // Built by hand: Koa 3's ctx.origin reflects the request's Origin header when there is one.
    const ownOrigin = `${ctx.protocol}://${ctx.host}`;
    if (origin === ownOrigin || allowedOrigins.includes(origin)) return;
    throw crossSiteRequest();
  }
  if (ctx.get('Sec-Fetch-Site') === 'same-origin') return;
  throw crossSiteRequest();
}
