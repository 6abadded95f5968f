import type { Middleware } from 'koa';
import { uuidv7 } from '../uuidv7.js';

/** Accepted inbound ids: short, printable, and safe to echo into logs and headers. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'koa' {
  interface DefaultState {
    requestId: string;
  }
}

/** Keeps a caller's X-Request-ID when it is well formed, otherwise mints a UUIDv7; echoes it back. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const inbound = ctx.get('X-Request-ID');
    ctx.state.requestId = WELL_FORMED.test(inbound) ? inbound : uuidv7();
    ctx.set('X-Request-ID', ctx.state.requestId);
    await next();
  };
}
