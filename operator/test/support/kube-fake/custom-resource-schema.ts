/**
 * What kube-apiserver does to a custom resource with its version's `openAPIV3Schema`, following
 * "Extend the Kubernetes API with CustomResourceDefinitions": Pruning → Defaulting → Validation.
 * `x-kubernetes-validations` (CEL validation rules) run after the schema passes, through cel-rules.ts.
 * Pure: no I/O (Ajv compiles in memory; its logger is disabled).
 */
import { Ajv, type ErrorObject } from 'ajv';
import { celRuleCauses } from './cel-rules.js';
import {
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
  fieldTypeInvalid,
  invalid,
  type StatusCause,
  type StatusError,
} from './status-errors.js';
import type { KubeObject } from './types.js';

/** Schema failures that keep a CRD's CEL rules from running (field.ErrorType* of hasBlockingErr). */
const BLOCKING_REASONS = [
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
];
const CEL_SKIPPED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this module reads. */
export interface JSONSchemaProps {
  type?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: boolean | JSONSchemaProps;
  items?: JSONSchemaProps;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [keyword: string]: unknown;
}

export type CustomResourceResult = { object: KubeObject } | { error: StatusError };
/** Admits `object`; `old` is the stored object it replaces, on an update (for CEL transition rules). */
export type CustomResourceProcessor = (object: unknown, old?: unknown) => CustomResourceResult;

const K8S_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
];

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSchema(v: unknown): v is JSONSchemaProps {
  return isPlainObject(v);
}

/**
 * Prepares an OpenAPI v3.0 schema for Ajv (draft-07): boolean exclusiveMinimum/Maximum become numeric,
 * `nullable` without `type` is dropped (Ajv refuses it).
 */
function toAjvSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toAjvSchema);
  if (!isPlainObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    // `default`, `enum` and `example` hold data, not schemas.
    out[k] = k === 'default' || k === 'enum' || k === 'example' ? v : toAjvSchema(v);
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] === true && typeof out[bound] === 'number') {
        out[flag] = out[bound];
        delete out[bound];
      } else {
        delete out[flag];
      }
    }
  }
  if (out.nullable !== undefined && out.type === undefined) delete out.nullable;
  return out;
}

/**
 * "Extend the Kubernetes API with CustomResourceDefinitions" → Field pruning: fields not specified in the
 * schema are dropped, except below `x-kubernetes-preserve-unknown-fields: true`; map values of
 * `additionalProperties` are kept (and pruned by their own schema); `apiVersion`, `kind` and `metadata` are
 * kept at the root and in `x-kubernetes-embedded-resource` objects.
 * → Defaulting and Nullable: a `null` in a field that is not `nullable: true` is removed before defaulting
 * (so the default applies if there is one).
 */
function prune(value: unknown, schema: JSONSchemaProps | undefined, keepTypeMeta: boolean): unknown {
  if (schema === undefined) return value;
  if (Array.isArray(value)) {
    return isSchema(schema.items) ? value.map((item) => prune(item, schema.items, false)) : value;
  }
  if (!isPlainObject(value)) return value;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const additional = schema.additionalProperties;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if ((keepTypeMeta || embedded) && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
      out[key] = child;
      continue;
    }
    const propSchema = schema.properties?.[key];
    const childSchema = isSchema(propSchema) ? propSchema : isSchema(additional) ? additional : undefined;
    if (childSchema) {
      if (child === null && childSchema.nullable !== true) continue;
      out[key] = prune(child, childSchema, false);
    } else if (additional === true || preserve) {
      out[key] = child;
    }
  }
  return out;
}

/**
 * "Field validation": the fields pruning would drop, as kube-apiserver's strict decoding names them
 * (`spec.jwt.rotation`, `spec.peers[0].name`), in its order (sorted). Under `?fieldValidation=Strict`
 * a custom resource that has any is refused before any other check.
 */
export function unknownFields(
  value: unknown,
  schema: JSONSchemaProps,
  keepTypeMeta = true,
  path = '',
): string[] {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (Array.isArray(value))
    return isSchema(schema.items)
      ? value.flatMap((item, index) =>
          unknownFields(item, schema.items as JSONSchemaProps, false, `${path}[${index}]`),
        )
      : [];
  if (!isPlainObject(value) || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const found: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if ((keepTypeMeta || embedded) && ['apiVersion', 'kind', 'metadata'].includes(key)) continue;
    const property = schema.properties?.[key];
    const childSchema = isSchema(property) ? property : schema.additionalProperties;
    if (isSchema(childSchema)) found.push(...unknownFields(child, childSchema, false, at(key)));
    else if (childSchema !== true) found.push(at(key));
  }
  return path === '' ? found.sort() : found;
}

/** JSON pointer (Ajv instancePath) → Kubernetes field path: `spec.containers[0].image`. */
function toFieldPath(pointer: string, root: unknown): string {
  if (pointer === '') return '';
  const segments = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = '';
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      path += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      path += path === '' ? seg : `.${seg}`;
      cur = isPlainObject(cur) ? cur[seg] : undefined;
    }
  }
  return path;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Ajv error → field error, worded like kube-openapi's ("<field> in body should …"). */
function toCause(e: ErrorObject, root: unknown): StatusCause {
  const field = toFieldPath(e.instancePath, root);
  const f = field === '' ? 'body' : field;
  const p = e.params as Record<string, unknown>;
  const data: unknown = e.data;
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return fieldRequired(field === '' ? missing : `${field}.${missing}`);
    }
    case 'type': {
      const want = Array.isArray(p.type) ? p.type.join(',') : String(p.type);
      return fieldTypeInvalid(
        field,
        jsonType(data),
        `${f} in body must be of type ${want}: "${jsonType(data)}"`,
      );
    }
    case 'enum':
      return fieldNotSupported(field, data, (p.allowedValues as unknown[]) ?? []);
    case 'minimum':
    case 'exclusiveMinimum':
      return fieldInvalid(
        field,
        data,
        `${f} in body should be greater than ${e.keyword === 'minimum' ? 'or equal to ' : ''}${String(p.limit)}`,
      );
    case 'maximum':
    case 'exclusiveMaximum':
      return fieldInvalid(
        field,
        data,
        `${f} in body should be less than ${e.keyword === 'maximum' ? 'or equal to ' : ''}${String(p.limit)}`,
      );
    case 'minLength':
      return fieldInvalid(field, data, `${f} in body should be at least ${String(p.limit)} chars long`);
    case 'maxLength':
      return fieldTooLong(field, Number(p.limit));
    case 'pattern':
      return fieldInvalid(field, data, `${f} in body should match '${String(p.pattern)}'`);
    case 'minItems':
      // kube-apiserver shows the list's length as the bad value, not the list.
      return fieldInvalid(
        field,
        Array.isArray(data) ? data.length : data,
        `${f} in body should have at least ${String(p.limit)} items`,
      );
    case 'maxItems':
      return fieldTooMany(field, Array.isArray(data) ? data.length : 0, Number(p.limit));
    case 'uniqueItems':
      return fieldInvalid(field, data, `${f} in body shouldn't contain duplicates`);
    case 'minProperties':
      return fieldInvalid(field, data, `${f} in body should have at least ${String(p.limit)} properties`);
    case 'maxProperties':
      return fieldTooMany(field, isPlainObject(data) ? Object.keys(data).length : 0, Number(p.limit));
    case 'multipleOf':
      return fieldInvalid(field, data, `${f} in body should be a multiple of ${String(p.multipleOf)}`);
    case 'format':
      return fieldInvalid(
        field,
        data,
        `${f} in body must be of type ${String(p.format)}: ${JSON.stringify(data)}`,
      );
    case 'oneOf':
      return fieldInvalid(field, data, `${f} in body must validate one and only one schema (oneOf)`);
    case 'anyOf':
      return fieldInvalid(field, data, `${f} in body must validate at least one schema (anyOf)`);
    case 'not':
      return fieldInvalid(field, data, `${f} in body must not validate the schema (not)`);
    default:
      return fieldInvalid(field, data, `${f} in body ${e.message ?? `failed ${e.keyword}`}`);
  }
}

// Formats kube-apiserver checks (strfmt); the rest are accepted unchecked.
const FORMATS = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  datetime: /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
  ipv4: /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  int32: true,
  int64: true,
  float: true,
  double: true,
  password: true,
} as const;

/**
 * Compiles a CRD version's `openAPIV3Schema` into a function that turns a request body into the stored
 * custom resource: prune unknown fields, apply `default`s (a newly defaulted object gets its nested defaults
 * too), then validate, reporting every problem at once as a 422 Invalid whose causes carry Kubernetes
 * field paths (`spec.replicas.min`, `spec.containers[0].image`). The input is never mutated.
 * CEL rules (`x-kubernetes-validations`) follow, unless a blocking schema error skips them. Throws if
 * Ajv cannot compile the schema.
 */
export function compileCustomResourceSchema(openAPIV3Schema: JSONSchemaProps): CustomResourceProcessor {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    verbose: true,
    logger: false,
    unicodeRegExp: false,
    formats: { ...FORMATS },
  });
  ajv.addVocabulary(K8S_KEYWORDS);
  const validate = ajv.compile(toAjvSchema(openAPIV3Schema) as object);

  const hasCelRules = JSON.stringify(openAPIV3Schema).includes('"x-kubernetes-validations"');
  return (input, old) => {
    // "Defaulting": defaults are applied after pruning, and validation runs on the defaulted object.
    const object = prune(structuredClone(input), openAPIV3Schema, true);
    const valid = validate(object);
    const failed: unknown = object;
    const seen = new Set<string>();
    const causes: StatusCause[] = [];
    for (const e of valid ? [] : (validate.errors ?? [])) {
      const cause = toCause(e, failed);
      const key = `${cause.field}\u0000${cause.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      causes.push(cause);
    }
    // A CRD with CEL rules skips them when the object fails a blocking schema check, and says so in
    // one more cause with no field, which a nil field.Path prints as <nil> (apiextensions-apiserver's
    // hasBlockingErr).
    if (hasCelRules && causes.some((cause) => BLOCKING_REASONS.includes(cause.reason ?? '')))
      causes.push(fieldInvalid('<nil>', null, CEL_SKIPPED));
    // Otherwise the rules run over the defaulted object, with the schema's other failures.
    else if (hasCelRules) causes.push(...celRuleCauses(openAPIV3Schema, object, old));
    if (causes.length === 0) return { object: object as KubeObject };
    const meta = isPlainObject(failed) && isPlainObject(failed.metadata) ? failed.metadata : {};
    const name =
      typeof meta.name === 'string'
        ? meta.name
        : typeof meta.generateName === 'string'
          ? meta.generateName
          : '';
    const kind = isPlainObject(failed) && typeof failed.kind === 'string' ? failed.kind : '';
    const apiVersion =
      isPlainObject(failed) && typeof failed.apiVersion === 'string' ? failed.apiVersion : '';
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    // "Validation": the response is 422 Invalid listing every violated field.
    return { error: invalid(kind, name, causes, group) };
  };
}
