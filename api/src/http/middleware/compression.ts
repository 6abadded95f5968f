import { constants } from 'node:zlib';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import compress from 'koa-compress';

/** A coding refused outright (`identity;q=0`, `*;q=0`) is the only case that needs negotiating first. */
const REFUSES_A_CODING = /q=0/i;

/**
 * Serialises an object body once, right where the handler left it. Koa would otherwise serialise
 * it twice: once for koa-compress to read its length against the threshold, once to send it.
 */
const serializeJsonBody: Middleware = async (ctx, next) => {
  await next();
  const { body } = ctx;
  if (
    body !== null &&
    typeof body === 'object' &&
    !Buffer.isBuffer(body) &&
    typeof body.pipe !== 'function'
  ) {
    // Content-Type is already JSON from the object, so the string keeps it.
    ctx.body = JSON.stringify(body);
  }
};

/**
 * Compresses responses above 1 KiB (a page of users, the OpenAPI document); small token answers
 * are not worth the CPU. Brotli at quality 4: its default of 11 costs far more CPU than it saves.
 */
export function compression(): Middleware {
  const compressor = compress({
    threshold: 1024,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  const negotiated: Middleware = (ctx, next) => {
    // koa-compress throws (a 500) when the client accepts none of its codings, identity included
    // (`Accept-Encoding: identity;q=0`); such a client gets the body uncompressed, as from most
    // servers, rather than an error (RFC 9110 §12.5.3 leaves the case to the server).
    const refusesSome = REFUSES_A_CODING.test(ctx.get('Accept-Encoding'));
    if (refusesSome && !ctx.acceptsEncodings(compressor.preferredEncodings)) ctx.compress = false;
    return compressor(ctx, next);
  };
  return compose([negotiated, serializeJsonBody]);
}
