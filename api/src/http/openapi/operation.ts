import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import type { ErrorCode } from './error-catalogue.js';
import { errorResponses } from './error-responses.js';
import { headerRefs, type ResponseHeader } from './response-headers.js';

export const tags = [
  { name: 'auth', description: 'Registration, login, refresh-token rotation and logout.' },
  { name: 'sessions', description: 'Sessions of the signed-in user.' },
  { name: 'users', description: 'The account of the signed-in user, and the admin listing.' },
  { name: 'operations', description: 'Probes, signing keys and this document.' },
] as const;

/** One documented operation: its success answer and every error code it can produce. */
export interface Operation {
  method: RouteConfig['method'];
  path: string;
  operationId: string;
  tag: (typeof tags)[number]['name'];
  summary: string;
  description?: string;
  security?: RouteConfig['security'];
  request?: RouteConfig['request'];
  success: { status: 200 | 201; description: string; body: z.ZodType; headers?: readonly ResponseHeader[] };
  errors: readonly ErrorCode[];
}

export const jsonRequest = (schema: z.ZodType, required = true): RouteConfig['request'] => ({
  body: { required, content: { 'application/json': { schema } } },
});

/** A rate-limited operation reports its window on the requests it lets through too. */
const windowHeaders = (errors: readonly ErrorCode[]): ResponseHeader[] =>
  errors.includes('rate_limit.exceeded') ? ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] : [];

export function toRouteConfig({ tag, success, errors, ...route }: Operation): RouteConfig {
  return {
    ...route,
    tags: [tag],
    responses: {
      [success.status]: {
        description: success.description,
        headers: headerRefs(['X-Request-ID', ...windowHeaders(errors), ...(success.headers ?? [])]),
        content: { 'application/json': { schema: success.body } },
      },
      ...errorResponses(errors),
    },
  };
}
