import { constants } from 'node:zlib';
import type { Middleware } from 'koa';
import compress from 'koa-compress';

/**
 * Compresses responses above 1 KiB (a page of users, the OpenAPI document); small token answers
 * are not worth the CPU. Brotli at quality 4: its default of 11 costs far more CPU than it saves.
 */
export function compression(): Middleware {
  return compress({
    threshold: 1024,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  }) as Middleware;
}
