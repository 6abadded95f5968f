import { z } from 'zod';
import type { ErrorCode } from './error-catalogue.js';

/** The JSend envelopes of jsend.ts, as schemas; the `code` of a failure is narrowed per response. */

const requestId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/)
  .meta({
    id: 'RequestId',
    description:
      'The `X-Request-ID` of the request: the one the caller sent when well formed, otherwise a UUIDv7 the API minted.',
  });

const message = z
  .string()
  .meta({ id: 'ErrorMessage', description: 'For people; it may change, so never branch on it.' });

const fieldMessages = z.record(z.string(), z.string()).meta({
  id: 'FieldMessages',
  description:
    'A message per request field at fault, keyed by its dotted path (`body` for the whole body); empty when no single field is at fault.',
});

export const successEnvelope = <Data extends z.ZodType>(data: Data) =>
  z.strictObject({ status: z.literal('success'), data });

/** JSend `fail` below 500 (the client can fix the request), `error` from 500 up. */
export function failureEnvelope(status: number, codes: readonly [ErrorCode, ...ErrorCode[]]) {
  const code = z.enum(codes).meta({ description: 'Stable: clients may branch on it.' });
  return status < 500
    ? z.strictObject({ status: z.literal('fail'), code, message, data: fieldMessages, requestId })
    : z.strictObject({ status: z.literal('error'), code, message, requestId });
}
