import { readFileSync } from 'node:fs';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { accountOperations } from './account-operations.js';
import { authOperations } from './auth-operations.js';
import { tags, toRouteConfig } from './operation.js';
import { publicOperations } from './public-operations.js';
import { responseHeaders } from './response-headers.js';
import { securitySchemes } from './security.js';
import { sortKeys } from './sort-keys.js';
import { unroutedBodies, unroutedResponses } from './unrouted-responses.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const operations = [...authOperations, ...accountOperations, ...publicOperations];

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const description = `A user/auth API. Every answer but the key set and this document is [JSend](https://github.com/omniti-labs/jsend): \`success\` with \`data\`; \`fail\` (4xx) with a stable \`code\`, a \`message\`, per-field messages in \`data\` and the \`requestId\`; \`error\` (5xx) with a \`code\`, a generic \`message\` and the \`requestId\`.

Each operation lists the codes it can produce. Requests outside the listed operations are answered as in components/responses: \`RouteNotFound\` (404) on any other path, \`MethodNotAllowed\` (405) for another method on a listed path. \`OPTIONS\` on a listed path is answered without a body (200 with \`Allow\`, or 204 for a CORS preflight from an allowed origin), or \`CorsOriginNotAllowed\` (403) for a preflight from any other origin.`;

/** The OpenAPI 3.1 document of the API, from the same zod schemas that validate its requests. */
export function buildOpenApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    registry.registerComponent('securitySchemes', name, scheme);
  }
  for (const [name, header] of Object.entries(responseHeaders)) {
    registry.registerComponent('headers', name, header);
  }
  for (const { name, response } of unroutedResponses) registry.registerComponent('responses', name, response);
  for (const operation of operations) registry.registerPath(toRouteConfig(operation));

  // Wrapped: the generator mistakes a bare zod 4 schema (which has a `type` field) for a definition.
  const bodies = unroutedBodies.map((schema) => ({ type: 'schema' as const, schema }));
  const generator = new OpenApiGeneratorV31([...registry.definitions, ...bodies]);
  return sortKeys(
    generator.generateDocument({
      openapi: '3.1.0',
      info: { title: 'skeleton API', version, description },
      tags: [...tags],
    }),
  );
}
