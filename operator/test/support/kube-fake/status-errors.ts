/**
 * metav1.Status failures shaped like the ones kube-apiserver answers with (k8s.io/apimachinery/pkg/api/errors).
 *
 * Kubernetes docs, "API conventions: Response Status Kind": a failed request returns a `Status` object with
 * `status: Failure`, an HTTP `code`, a machine-readable `reason`, a human `message`, and optional `details`
 * (`name`, `group`, `kind`, `causes[]`, `retryAfterSeconds`). Messages below reproduce the upstream wording.
 *
 * Pure: nothing here performs I/O.
 */
import type { Status } from './types.js';

export type StatusCause = { reason: string; message: string; field: string };
type Details = NonNullable<Status['details']>;

/** An Error carrying the Status the fake server should answer with. Store code throws these. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message);
    this.name = 'StatusError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason;
  }
}

export function isStatusError(value: unknown): value is StatusError {
  return value instanceof StatusError;
}

/** Builds a `Status` with `status: Failure` ("API conventions: Response Status Kind"). */
export function failure(code: number, reason: string, message: string, details?: Details): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/** `schema.GroupResource.String()`: `<plural>.<group>`, or just `<plural>` for the core ("") group. */
export function qualifiedResource(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

/** `schema.GroupKind.String()`: `<Kind>.<group>`, or just `<Kind>` for the core ("") group. */
export function qualifiedKind(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** Go's `%q` for the plain strings Kubernetes names are made of. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** 404 NotFound: `<plural>.<group> "name" not found`; details.kind is the plural resource (errors.NewNotFound). */
export function notFound(group: string, resource: string, name: string): StatusError {
  return new StatusError(
    failure(404, 'NotFound', `${qualifiedResource(group, resource)} ${quote(name)} not found`, {
      name,
      group,
      kind: resource,
    }),
  );
}

/**
 * 403 Forbidden: `<plural>.<group> "name" is forbidden: <reason>` (errors.NewForbidden), as RBAC or an
 * admission policy answers.
 */
export function forbidden(group: string, resource: string, name: string, reason: string): StatusError {
  return new StatusError(
    failure(
      403,
      'Forbidden',
      `${qualifiedResource(group, resource)} ${quote(name)} is forbidden: ${reason}`,
      {
        name,
        group,
        kind: resource,
      },
    ),
  );
}

/** 409 AlreadyExists: `<plural>.<group> "name" already exists` (errors.NewAlreadyExists). */
export function alreadyExists(group: string, resource: string, name: string): StatusError {
  return new StatusError(
    failure(409, 'AlreadyExists', `${qualifiedResource(group, resource)} ${quote(name)} already exists`, {
      name,
      group,
      kind: resource,
    }),
  );
}

export const OPTIMISTIC_LOCK_ERROR_MSG =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict on a stale resourceVersion (errors.NewConflict + registry.OptimisticLockErrorMsg). */
export function conflict(
  group: string,
  resource: string,
  name: string,
  detail: string = OPTIMISTIC_LOCK_ERROR_MSG,
): StatusError {
  return new StatusError(
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} ${quote(name)}: ${detail}`,
      {
        name,
        group,
        kind: resource,
      },
    ),
  );
}

/** One server-side apply conflict: who owns the field, and the field in fieldpath notation (`.spec.replicas`). */
export interface ApplyConflict {
  manager: string;
  /** An `Update` manager is printed with its apiVersion (and time), an `Apply` manager by name only. */
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  subresource?: string;
  field: string;
}

function printManager(c: ApplyConflict): string {
  let s = quote(c.manager);
  if (c.subresource) s = `${s} with subresource ${quote(c.subresource)}`;
  if (c.operation === 'Update') {
    s = `${s} using ${c.apiVersion ?? ''}`;
    if (c.time) s = `${s} at ${c.time}`;
  }
  return s;
}

/**
 * 409 Conflict from server-side apply (fieldmanager NewConflictError): one cause per conflicting field with
 * reason `FieldManagerConflict`; details carry only the causes.
 */
export function applyConflict(conflicts: ApplyConflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c)}`,
    field: c.field,
  }));
  let message: string;
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(only)}: ${only.field}`;
  } else {
    const byManager = new Map<string, { printed: string; fields: string[] }>();
    for (const c of conflicts) {
      const printed = printManager(c);
      const key = c.manager;
      const entry = byManager.get(key) ?? { printed, fields: [] };
      entry.fields.push(c.field);
      byManager.set(key, entry);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      const entry = byManager.get(key);
      if (!entry) continue;
      lines.push(`conflicts with ${entry.printed}`);
      for (const f of entry.fields) lines.push(`- ${f}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(failure(409, 'Conflict', message, { causes }));
}

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) used as causes of 422 Invalid ----

/** Go-ish rendering of a bad value in "Invalid value: <v>" (strings quoted, numbers/bools bare). */
export function formatFieldValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return quote(JSON.stringify(value));
}

/** field.Invalid → reason FieldValueInvalid, message `Invalid value: <v>: <detail>`. */
export function fieldInvalid(field: string, value: unknown, detail: string): StatusCause {
  const body = `Invalid value: ${formatFieldValue(value)}`;
  return { reason: 'FieldValueInvalid', message: detail ? `${body}: ${detail}` : body, field };
}

/** field.TooLong → reason FieldValueTooLong, message `Too long: may not be more than <n> bytes`. */
export function fieldTooLong(field: string, limit: number): StatusCause {
  return { reason: 'FieldValueTooLong', message: `Too long: may not be more than ${limit} bytes`, field };
}

/**
 * field.TooMany → reason FieldValueTooMany, message `Too many: <n>: must have at most <max> items`
 * (for a list's items and a map's entries alike).
 */
export function fieldTooMany(field: string, actual: number, limit: number): StatusCause {
  return {
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${limit} items`,
    field,
  };
}

/** field.TypeInvalid → reason FieldValueTypeInvalid (what kube-apiserver uses for schema type mismatches). */
export function fieldTypeInvalid(field: string, value: unknown, detail: string): StatusCause {
  return { ...fieldInvalid(field, value, detail), reason: 'FieldValueTypeInvalid' };
}

/** field.Required → reason FieldValueRequired, message `Required value`. */
export function fieldRequired(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
    field,
  };
}

/** field.NotSupported → reason FieldValueNotSupported, message `Unsupported value: "x": supported values: "a", "b"`. */
export function fieldNotSupported(field: string, value: unknown, supported: readonly unknown[]): StatusCause {
  let message = `Unsupported value: ${formatFieldValue(value)}`;
  if (supported.length > 0)
    message += `: supported values: ${supported.map((v) => formatFieldValue(v)).join(', ')}`;
  return { reason: 'FieldValueNotSupported', message, field };
}

/** field.Forbidden → reason FieldValueForbidden. */
export function fieldForbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

/**
 * 422 Invalid (errors.NewInvalid): message `<Kind>.<group> "name" is invalid: <errs>` where one error prints
 * as `field: body` and several as `[a, b]` (utilerrors.Aggregate, duplicates removed); details carry
 * kind, group, name and one cause per field error.
 */
export function invalid(kind: string, name: string, causes: StatusCause[], group = ''): StatusError {
  const rendered = [...new Set(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)))];
  let message = `${qualifiedKind(group, kind)} ${quote(name)} is invalid`;
  if (rendered.length === 1) message += `: ${rendered[0]}`;
  else if (rendered.length > 1) message += `: [${rendered.join(', ')}]`;
  return new StatusError(failure(422, 'Invalid', message, { name, group, kind, causes }));
}

/** 400 BadRequest (errors.NewBadRequest). */
export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', message));
}

/** 410 Expired (errors.NewResourceExpired), e.g. a too-old resourceVersion or continue token. */
export function gone(message: string): StatusError {
  return new StatusError(failure(410, 'Expired', message));
}

/** 405 MethodNotAllowed (errors.NewMethodNotSupported): `<action> is not supported on resources of kind "<res>"`. */
export function methodNotAllowed(group: string, resource: string, action: string): StatusError {
  return new StatusError(
    failure(
      405,
      'MethodNotAllowed',
      `${action} is not supported on resources of kind ${quote(qualifiedResource(group, resource))}`,
      { group, kind: resource },
    ),
  );
}

/** 415 UnsupportedMediaType (apiserver negotiation): lists the media types the endpoint accepts. */
export function unsupportedMediaType(accepted: readonly string[]): StatusError {
  return new StatusError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}

/** 429 TooManyRequests (errors.NewTooManyRequests) with details.retryAfterSeconds (the server adds Retry-After). */
export function tooManyRequests(
  retryAfterSeconds: number,
  message = 'Too many requests, please try again later.',
): StatusError {
  return new StatusError(failure(429, 'TooManyRequests', message, { retryAfterSeconds }));
}

/** 500 InternalError (errors.NewInternalError): `Internal error occurred: <err>`, the error as the only cause. */
export function internalError(err: string): StatusError {
  return new StatusError(
    failure(500, 'InternalError', `Internal error occurred: ${err}`, {
      causes: [{ reason: '', message: err, field: '' }],
    }),
  );
}

/** 503 ServiceUnavailable (errors.NewServiceUnavailable). */
export function serviceUnavailable(message: string): StatusError {
  return new StatusError(failure(503, 'ServiceUnavailable', message));
}
