import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { bodyTooLarge, malformedJson, unsupportedMediaType } from '../../errors.js';
import { http2Stream } from '../http2-stream.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body, or undefined when the request had none. */
    json?: unknown;
  }
}

/**
 * HTTP/1.1 announces a body with its framing headers. HTTP/2 has no such headers, and
 * Content-Length is optional there: a request without a body ends its stream with its headers.
 */
function hasBody(req: IncomingMessage): boolean {
  const declaredLength = req.headers['content-length'];
  const stream = http2Stream(req);
  if (stream) return !stream.endAfterHeaders && (declaredLength === undefined || Number(declaredLength) > 0);
  return req.headers['transfer-encoding'] !== undefined || Number(declaredLength ?? 0) > 0;
}

/** The media type, parameters aside. Not `ctx.is`: it answers null for an HTTP/2 body without Content-Length. */
const isJson = (contentType = '') => contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';

async function readLimited(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw bodyTooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > limitBytes) throw bodyTooLarge(limitBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body strictly: only application/json, at most `limitBytes`, and malformed JSON
 * is the client's error (400), never a 500.
 */
export function jsonBody(limitBytes: number): Middleware {
  return async (ctx, next) => {
    if (hasBody(ctx.req)) {
      if (!isJson(ctx.req.headers['content-type'])) throw unsupportedMediaType();
      const raw = await readLimited(ctx.req, limitBytes);
      try {
        ctx.request.json = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        throw malformedJson();
      }
    }
    await next();
  };
}
