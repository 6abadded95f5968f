import Router from '@koa/router';
import { buildOpenApiDocument } from '../openapi/document.js';

/** Serves the OpenAPI document; built once, since it only changes with the code. */
export function openapiRoutes(): Router {
  const document = buildOpenApiDocument();
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return router;
}
