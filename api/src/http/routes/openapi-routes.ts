import Router from '@koa/router';
import { buildOpenApiDocument } from '../openapi/document.js';

/**
 * Serves the OpenAPI document; built once, since it only changes with the code, and on first
 * request rather than at start, where building it took a tenth of a cold start.
 */
export function openapiRoutes(): Router {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    document ??= buildOpenApiDocument();
    ctx.body = document;
  });
  return router;
}
