import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { failureEnvelope } from './envelopes.js';
import { type ErrorCode, errorCatalogue } from './error-catalogue.js';
import { headerRefs, type ResponseHeader } from './response-headers.js';

/**
 * Failures that belong to no operation: answers to requests outside the documented ones. They are
 * documented once, under components/responses, with their bodies under components/schemas.
 */
const unrouted = {
  RouteNotFound: { code: 'route.not_found', when: 'Any path this document does not list.' },
  MethodNotAllowed: {
    code: 'route.method_not_allowed',
    when: 'A listed path with a method this document does not list for it.',
    headers: ['Allow'],
  },
  MalformedRequest: {
    code: 'request.malformed',
    when: 'A request Node.js cannot parse as HTTP, on any path.',
  },
  RequestTimeout: {
    code: 'request.timeout',
    when: 'A request whose headers or body arrive too slowly, on any path.',
  },
  HeadersTooLarge: {
    code: 'request.headers_too_large',
    when: 'A request whose URL and headers exceed 16 KiB, on any path.',
  },
  CorsOriginNotAllowed: {
    code: 'cors.origin_not_allowed',
    when: 'A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an origin that is not allowed.',
  },
} as const satisfies Record<string, { code: ErrorCode; when: string; headers?: readonly ResponseHeader[] }>;

export type UnroutedResponse = keyof typeof unrouted;

/** Built once: a schema with an `id` may be registered with zod only once per process. */
export const unroutedBodies = Object.entries(unrouted).map(([name, { code }]) =>
  failureEnvelope(errorCatalogue[code].status, [code]).meta({ id: name }),
);

export const unroutedResponses = Object.entries(unrouted).map(([name, entry]) => ({
  name: name as UnroutedResponse,
  status: errorCatalogue[entry.code].status,
  response: {
    description: `${entry.when}\n\n- \`${entry.code}\`: ${errorCatalogue[entry.code].description}`,
    headers: headerRefs(['X-Request-ID', ...('headers' in entry ? entry.headers : [])]),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
  } satisfies ResponseConfig,
}));
