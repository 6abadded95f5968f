import { STATUS_CODES } from 'node:http';
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { failureEnvelope } from './envelopes.js';
import { type ErrorCode, errorCatalogue, errorCodes } from './error-catalogue.js';
import { headerRefs, type ResponseHeader } from './response-headers.js';

/** Headers the error mapper (401) and the rate limiter (429) add to a failure of that status. */
const headersByStatus: Partial<Record<number, readonly ResponseHeader[]>> = {
  401: ['WWW-Authenticate'],
  429: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
};

/** Headers only some codes of a status carry: a 503 db.unavailable has no Retry-After. */
const headersByCode: Partial<Record<ErrorCode, readonly ResponseHeader[]>> = {
  'service.overloaded': ['Retry-After'],
};

/** One response for a status and the codes it may carry, each code described from the catalogue. */
function errorResponse(status: number, codes: readonly [ErrorCode, ...ErrorCode[]]): ResponseConfig {
  const lines = codes.map((code) => `- \`${code}\`: ${errorCatalogue[code].description}`);
  return {
    description: `${STATUS_CODES[status]}.\n\n${lines.join('\n')}`,
    headers: headerRefs([
      'X-Request-ID',
      ...(headersByStatus[status] ?? []),
      ...codes.flatMap((code) => headersByCode[code] ?? []),
    ]),
    content: { 'application/json': { schema: failureEnvelope(status, codes) } },
  };
}

/** The error responses of an operation: one per status, its `code` an enum of that status's codes. */
export function errorResponses(codes: readonly ErrorCode[]): Record<string, ResponseConfig> {
  const byStatus = new Map<number, [ErrorCode, ...ErrorCode[]]>();
  // Catalogue order, whatever the order of the operation's list, keeps the document stable.
  for (const code of errorCodes.filter((candidate) => codes.includes(candidate))) {
    const { status } = errorCatalogue[code];
    const group = byStatus.get(status);
    if (group) group.push(code);
    else byStatus.set(status, [code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [String(status), errorResponse(status, group)]),
  );
}
