import { constants } from 'node:zlib';
import type { Context, Middleware } from 'koa';
import compress from 'koa-compress';

/** Bodies smaller than this are sent as they are: compressing a token answer costs more than it saves. */
const THRESHOLD_BYTES = 1024;

/** A coding refused outright (`identity;q=0`, `*;q=0`) is the only case that needs negotiating first. */
const REFUSES_A_CODING = /q=0/i;

const nothingInside = () => Promise.resolve();

/**
 * Serialises an object body once, where the handler left it: Koa would otherwise serialise it
 * once to learn its length and again to send it. Returns the body's size when it is known.
 */
function serializedSize(ctx: Context): number | undefined {
  const { body } = ctx;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  if (body === null || typeof body !== 'object' || 'pipe' in body) return undefined;
  // Content-Type is already JSON from the object, so the string keeps it.
  ctx.body = JSON.stringify(body);
  return ctx.length;
}

/**
 * Compresses responses of 1 KiB and more (a page of users, the OpenAPI document). Brotli at
 * quality 4: its default of 11 costs far more CPU than it saves. koa-compress is only handed the
 * responses worth compressing; on every other one its checks and negotiation would be wasted.
 */
export function compression(): Middleware {
  const compressor = compress({
    threshold: THRESHOLD_BYTES,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  return async (ctx, next) => {
    // Every answer may differ by coding, so shared caches must key on it.
    ctx.vary('Accept-Encoding');
    await next();
    const size = serializedSize(ctx);
    if (size !== undefined && size < THRESHOLD_BYTES) return;
    // koa-compress throws (a 500) when the client accepts none of its codings, identity included
    // (`Accept-Encoding: identity;q=0`); such a client gets the body uncompressed, as from most
    // servers, rather than an error (RFC 9110 §12.5.3 leaves the case to the server).
    const refusesSome = REFUSES_A_CODING.test(ctx.get('Accept-Encoding'));
    if (refusesSome && !ctx.acceptsEncodings(compressor.preferredEncodings)) ctx.compress = false;
    await compressor(ctx, nothingInside);
  };
}
