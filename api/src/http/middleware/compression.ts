import { constants } from 'node:zlib';
import type { Middleware } from 'koa';
import compress from 'koa-compress';

/**
 * Compresses responses above 1 KiB (a page of users, the OpenAPI document); small token answers
 * are not worth the CPU. Brotli at quality 4: its default of 11 costs far more CPU than it saves.
 */
export function compression(): Middleware {
  const compressor = compress({
    threshold: 1024,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  return (ctx, next) => {
    // koa-compress throws (a 500) when the client accepts none of its codings, identity included
    // (`Accept-Encoding: identity;q=0`); such a client gets the body uncompressed, as from most
    // servers, rather than an error (RFC 9110 §12.5.3 leaves the case to the server).
    if (!ctx.acceptsEncodings(compressor.preferredEncodings)) ctx.compress = false;
    return compressor(ctx, next);
  };
}
