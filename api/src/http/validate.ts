import type { z } from 'zod';
import { type FieldMessages, validationFailed } from '../errors.js';

const describe = (issue: z.core.$ZodIssue) =>
  issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
    ? 'is required'
    : issue.message;

/**
 * Parses input against a schema; on failure every problem is reported against the field at
 * fault (the whole body is reported as `body`).
 */
export function validate<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: FieldMessages = {};
  for (const issue of result.error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const key of keys) {
      const path = [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || 'body';
      fields[path] ??= key === undefined ? describe(issue) : 'is not an accepted field';
    }
  }
  throw validationFailed(fields);
}
