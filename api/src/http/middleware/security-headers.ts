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
    // helmet's default is SAMEORIGIN, which would contradict frame-ancestors 'none' for browsers
    // that read only this header.
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
    // Headers for HTML documents, old Internet Explorer or Flash say nothing about JSON; each one
    // is work on every response.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }) as Middleware;
}
