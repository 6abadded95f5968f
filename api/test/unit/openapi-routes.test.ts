import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { openapiRoutes } from '../../src/http/routes/openapi-routes.js';
import { createResponseValidator } from '../support/openapi-validator.js';

test('GET /openapi.json serves the document, as the document itself describes', async (t) => {
  const app = new Koa();
  app.use(openapiRoutes().routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`);
    const body = await response.json();
    t.is(response.status, 200);
    t.regex(response.headers.get('content-type') ?? '', /^application\/json/);
    const document = buildOpenApiDocument();
    t.deepEqual(body, JSON.parse(JSON.stringify(document)));
    t.deepEqual(
      createResponseValidator(document)({ method: 'GET', path: '/openapi.json', status: 200, body }),
      [],
    );
  } finally {
    server.close();
  }
});
