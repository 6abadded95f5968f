import type { ErrorObject, ValidateFunction } from 'ajv';
import ajv2020 from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { OpenApiDocument } from '../../src/http/openapi/document.js';
import { type UnroutedResponse, unroutedResponses } from '../../src/http/openapi/unrouted-responses.js';

export interface ObservedResponse {
  method: string;
  /** The path without its query string. */
  path: string;
  status: number;
  body: unknown;
}

/** Checks one answer; returns what is wrong with it, nothing when it matches the document. */
export type ResponseValidator = (response: ObservedResponse) => string[];

/** Component schemas live in one Ajv schema so every response schema can point into it. */
const COMPONENTS_ID = 'openapi-components';

/** OpenAPI refs point into the document; Ajv needs them to point into a schema it holds. */
function retarget<T>(value: T): T {
  if (Array.isArray(value)) return value.map(retarget) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace('#/components/schemas/', `${COMPONENTS_ID}#/$defs/`)
        : retarget(inner),
    ]),
  ) as T;
}

export function createSchemaCompiler(document: OpenApiDocument): (schema: object) => ValidateFunction {
  // CommonJS modules: under NodeNext their default import is the module object, the export `.default`.
  const ajv = new ajv2020.default({ allErrors: true, strict: true });
  ajvFormats.default(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: retarget(document.components?.schemas ?? {}) });
  return (schema) => ajv.compile(retarget(schema));
}

const describe = (error: ErrorObject) => {
  const where = error.instancePath || '(body)';
  const detail =
    error.keyword === 'additionalProperties'
      ? ` (${error.params.additionalProperty})`
      : error.keyword === 'enum'
        ? ` (${error.params.allowedValues.join(', ')})`
        : '';
  return `${where} ${error.message}${detail}`;
};

interface ResponseLike {
  content?: Record<string, { schema?: object }>;
}

type BodyCheck = (body: unknown) => string[];

function bodyCheck(compile: (schema: object) => ValidateFunction, response: ResponseLike): BodyCheck {
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return (body) => (body === '' ? [] : ['has a body, but the document describes none']);
  const validate = compile(schema);
  return (body) => (validate(body) ? [] : (validate.errors ?? []).map(describe));
}

interface Route {
  template: string;
  pattern: RegExp;
  /** Per method, per status. */
  operations: Map<string, Map<number, BodyCheck>>;
}

const patternOf = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`);

/**
 * Validates an answer against the operation its method and path select (templated paths such as
 * /api/v1/sessions/{id} included): its status must be listed and its body match that status's
 * schema. A request outside every operation must get the answer the document gives it: RouteNotFound
 * (unknown path), MethodNotAllowed (known path, other method), or for OPTIONS no body (200, or 204
 * for an allowed CORS preflight) or CorsOriginNotAllowed.
 */
export function createResponseValidator(document: OpenApiDocument): ResponseValidator {
  const compile = createSchemaCompiler(document);
  const routes: Route[] = Object.entries(document.paths ?? {})
    .map(([template, item]) => ({
      template,
      pattern: patternOf(template),
      operations: new Map(
        Object.entries(item).map(([method, operation]) => [
          method.toUpperCase(),
          new Map(
            Object.entries((operation as { responses: Record<string, ResponseLike> }).responses).map(
              ([status, response]) => [Number(status), bodyCheck(compile, response)],
            ),
          ),
        ]),
      ),
    }))
    // Literal paths first, so /users/me would win over a /users/{id}.
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));

  const unrouted = new Map(
    unroutedResponses.map(({ name, status }) => {
      const response = document.components?.responses?.[name] as ResponseLike;
      return [name, { status, check: bodyCheck(compile, response) }];
    }),
  );
  const expectUnrouted = (name: UnroutedResponse, label: string, response: ObservedResponse) => {
    const expected = unrouted.get(name);
    if (!expected) return [`${label}: the document has no ${name} response`];
    if (response.status !== expected.status) {
      return [
        `${label} is not a documented operation, so ${expected.status} ${name} was expected, not ${response.status}`,
      ];
    }
    return expected
      .check(response.body)
      .map((problem) => `${label} → ${response.status} ${name}: ${problem}`);
  };

  return (response) => {
    const method = response.method.toUpperCase();
    const label = `${method} ${response.path}`;
    const route = routes.find(({ pattern }) => pattern.test(response.path));
    if (!route) return expectUnrouted('RouteNotFound', label, response);
    const statuses = route.operations.get(method);
    if (!statuses) {
      if (method !== 'OPTIONS') return expectUnrouted('MethodNotAllowed', label, response);
      const answered = (response.status === 200 || response.status === 204) && response.body === '';
      return answered ? [] : expectUnrouted('CorsOriginNotAllowed', label, response);
    }
    const check = statuses.get(response.status);
    if (!check) {
      const listed = [...statuses.keys()].join(', ');
      const operation = route.template === response.path ? label : `${label} (${method} ${route.template})`;
      return [
        `${operation} answered ${response.status}, which the document does not list (it lists ${listed})`,
      ];
    }
    return check(response.body).map((problem) => `${label} → ${response.status}: ${problem}`);
  };
}
