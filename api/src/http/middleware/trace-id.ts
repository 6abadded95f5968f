import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';

declare module 'koa' {
  interface DefaultState {
    /** The W3C trace this request belongs to, for its log lines; absent when nobody traces it. */
    traceId?: string;
  }
}

/** version-traceid-parentid-flags, as W3C Trace Context defines it (all-zero ids are invalid). */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function inboundTraceId(traceparent: string): string | undefined {
  const traceId = TRACEPARENT.exec(traceparent.trim())?.[1];
  return traceId === undefined || /^0+$/.test(traceId) ? undefined : traceId;
}

/**
 * Finds the request's trace id: the server span's when tracing is on, otherwise the caller's
 * `traceparent`, so log lines join the caller's trace even when this API exports no spans.
 */
export function traceId(): Middleware {
  return async (ctx, next) => {
    const span = trace.getActiveSpan()?.spanContext();
    ctx.state.traceId =
      span && isSpanContextValid(span) ? span.traceId : inboundTraceId(ctx.get('traceparent'));
    await next();
  };
}
