import { successEnvelope } from './envelopes.js';
import type { Operation } from './operation.js';
import { jwks, liveness, openApiDocument, readiness } from './response-schemas.js';

/**
 * The routes outside /api/v1: no token, and only readiness reads the database. The per-address
 * limit spares the probes (see limitClientRequests), not the key set or this document.
 */
export const publicOperations: Operation[] = [
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    operationId: 'getJwks',
    tag: 'operations',
    summary: 'The public keys that verify access tokens',
    description: 'A plain JSON Web Key Set (not JSend), cacheable for five minutes.',
    success: { status: 200, description: 'The key set.', body: jwks },
    errors: ['rate_limit.exceeded', 'internal'],
  },
  {
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    tag: 'operations',
    summary: 'Liveness probe',
    success: { status: 200, description: 'The process serves requests.', body: successEnvelope(liveness) },
    errors: ['internal'],
  },
  {
    method: 'get',
    path: '/health/ready',
    operationId: 'getReadiness',
    tag: 'operations',
    summary: 'Readiness probe: the database is reachable and migrated',
    success: { status: 200, description: 'Ready for traffic.', body: successEnvelope(readiness) },
    errors: ['service.not_ready', 'internal'],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'operations',
    summary: 'This OpenAPI document',
    success: { status: 200, description: 'The OpenAPI 3.1 document.', body: openApiDocument },
    errors: ['rate_limit.exceeded', 'internal'],
  },
];
