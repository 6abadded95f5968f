import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

/**
 * Headers for a JSON API (ASVS 3.4): nothing may be rendered, framed or sniffed, and browsers
 * must use HTTPS for a year, including subdomains.
 */
export function securityHeaders(): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
  }) as Middleware;
}
