import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { bodyTooLarge, malformedJson, unsupportedMediaType } from '../../errors.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body, or undefined when the request had none. */
    json?: unknown;
  }
}

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

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
      if (!ctx.is('application/json')) throw unsupportedMediaType();
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
