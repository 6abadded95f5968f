import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import test from 'ava';
import { newPasswordSchema } from '../../src/domain/passwords/password-policy.js';
import {
  bodyTooLarge,
  databaseUnavailable,
  forbidden,
  invalidCredentials,
  invalidRefreshToken,
  invalidToken,
  malformedJson,
  methodNotAllowed,
  missingToken,
  refreshTokenReused,
  routeNotFound,
  serviceOverloaded,
  sessionNotFound,
  tokenExpired,
  tooManyWrongPasswords,
  unsupportedMediaType,
  userAlreadyExists,
  validationFailed,
  wrongPassword,
} from '../../src/errors.js';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { type CatalogueEntry, errorCatalogue, errorCodes } from '../../src/http/openapi/error-catalogue.js';
import { unroutedResponses } from '../../src/http/openapi/unrouted-responses.js';
import { crossSiteRequest } from '../../src/http/refresh-cookie.js';
import { accountRoutes } from '../../src/http/routes/account-routes.js';
import { authRoutes } from '../../src/http/routes/auth-routes.js';
import { openapiRoutes } from '../../src/http/routes/openapi-routes.js';
import { publicRoutes } from '../../src/http/routes/public-routes.js';
import { rateLimitExceeded } from '../../src/rate-limits/rate-limit-error.js';
import { UNLIMITED } from '../../src/rate-limits/unlimited.js';
import { createSchemaCompiler } from '../support/openapi-validator.js';

const document = buildOpenApiDocument();
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface ResponseLike {
  content?: Record<string, { schema?: Schema }>;
  headers?: Record<string, { $ref?: string }>;
}

interface OperationLike {
  operationId?: string;
  tags?: string[];
  parameters?: { in: string; name: string; required?: boolean }[];
  security?: Record<string, string[]>[];
  responses: Record<string, ResponseLike>;
}
type Schema = { $ref?: string; properties?: Record<string, Schema>; enum?: unknown[] };

const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ path, method, operation: operation as OperationLike })),
);

/** Every value under `key` in the document, with where it is; the walk stops at each match. */
function collect(value: unknown, key: string, at = '#'): { at: string; value: unknown }[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, inner]) =>
    name === key ? [{ at: `${at}/${name}`, value: inner }] : collect(inner, key, `${at}/${name}`),
  );
}

const statusOf = (code: string) => (errorCatalogue as Record<string, CatalogueEntry>)[code]?.status;

const resolve = (schema: Schema): Schema => {
  if (!schema.$ref) return schema;
  const target = schema.$ref
    .split('/')
    .slice(1)
    .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment], document);
  return resolve(target as Schema);
};

test('api/openapi.json is what the builder produces now', (t) => {
  const committed = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
  t.deepEqual(
    committed,
    JSON.parse(JSON.stringify(document)),
    'api/openapi.json is stale: run `npm run openapi -w api` and commit the result',
  );
});

test('it is an OpenAPI 3.1 document naming the API and its package version', (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  t.is(document.openapi, '3.1.0');
  t.like(document.info, { title: 'skeleton API', version });
});

test('every schema in it compiles as JSON Schema 2020-12 (Ajv, strict)', (t) => {
  // Adding the component schemas validates them against the 2020-12 meta-schema.
  const compile = createSchemaCompiler(document);
  const elsewhere = collect({ ...document, components: { ...document.components, schemas: {} } }, 'schema');
  t.true(elsewhere.length > 50);
  for (const { at, value } of elsewhere) {
    t.notThrows(() => compile(value as object), at);
  }
  for (const name of Object.keys(document.components?.schemas ?? {})) {
    t.notThrows(() => compile({ $ref: `#/components/schemas/${name}` }), name);
  }
});

test('every $ref points at something in the document', (t) => {
  for (const { at, value } of collect(document, '$ref')) {
    t.true(typeof value === 'string' && value.startsWith('#/'), at);
    t.truthy(resolve({ $ref: value as string }), `${at}: ${value} does not resolve`);
  }
});

test('every operation has a unique operationId, a tag, its path parameters, a success and error responses', (t) => {
  const tagNames = new Set(document.tags?.map((tag) => tag.name));
  const schemes = new Set(Object.keys(document.components?.securitySchemes ?? {}));
  const ids = operations.map(({ operation }) => operation.operationId);
  t.deepEqual(ids, [...new Set(ids)]);
  for (const { path, method, operation } of operations) {
    const where = `${method.toUpperCase()} ${path}`;
    t.truthy(operation.operationId, where);
    t.true(
      operation.tags?.every((tag) => tagNames.has(tag)),
      where,
    );
    for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
      t.truthy(
        operation.parameters?.find((parameter) => parameter.in === 'path' && parameter.name === name)
          ?.required,
        `${where} declares {${name}}`,
      );
    }
    for (const requirement of operation.security ?? []) {
      t.true(
        Object.keys(requirement).every((scheme) => schemes.has(scheme)),
        where,
      );
    }
    const statuses = Object.keys(operation.responses).map(Number);
    t.true(
      statuses.some((status) => status >= 200 && status < 300),
      `${where} has a success response`,
    );
    t.true(
      statuses.some((status) => status >= 400),
      `${where} has error responses`,
    );
    for (const [status, response] of Object.entries(operation.responses)) {
      t.truthy(response.content?.['application/json']?.schema, `${where} ${status} has a JSON body`);
    }
  }
});

test('every documented failure carries only codes of its status, and every catalogued code is documented', (t) => {
  const failures = [
    ...operations.flatMap(({ path, method, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => ({
          where: `${method} ${path} ${status}`,
          status: Number(status),
          response,
        })),
    ),
    ...unroutedResponses.map(({ name, status }) => ({
      where: `components/responses/${name}`,
      status,
      response: document.components?.responses?.[name] as ResponseLike,
    })),
  ];
  const seen = new Set<string>();
  for (const { where, status, response } of failures) {
    const codes = resolve(response.content?.['application/json']?.schema ?? {}).properties?.code?.enum ?? [];
    t.true(codes.length > 0, `${where} names its codes`);
    for (const code of codes as string[]) {
      t.is(statusOf(code), status, `${where}: ${code}`);
      seen.add(code);
    }
  }
  t.deepEqual([...seen].sort(), [...errorCodes].sort());
});

test('the catalogue gives each code the status of the error the API raises with it', (t) => {
  const raised = [
    validationFailed({}),
    malformedJson(),
    unsupportedMediaType(),
    bodyTooLarge(1),
    routeNotFound(),
    methodNotAllowed(),
    userAlreadyExists(),
    invalidCredentials(),
    wrongPassword('password'),
    missingToken(),
    invalidToken(),
    tokenExpired(),
    invalidRefreshToken(),
    refreshTokenReused(),
    tooManyWrongPasswords({ password: 'is incorrect' }),
    forbidden(),
    sessionNotFound(),
    crossSiteRequest(),
    rateLimitExceeded(10, 1_000),
    databaseUnavailable(new Error('connect ECONNREFUSED')),
    serviceOverloaded(1),
  ];
  for (const error of raised) {
    t.is(statusOf(error.code), error.status, error.code);
  }
});

test('every operation that hashes a password documents 503 service.overloaded with Retry-After', (t) => {
  const hashing = ['register', 'login', 'changePassword', 'deleteCurrentUser'];
  const overloadable = operations.filter(({ operation }) => {
    const schema = resolve(operation.responses['503']?.content?.['application/json']?.schema ?? {});
    return schema.properties?.code?.enum?.includes('service.overloaded');
  });
  t.deepEqual(overloadable.map(({ operation }) => operation.operationId).sort(), [...hashing].sort());
  for (const { operation } of overloadable) {
    t.deepEqual(
      operation.responses['503']?.headers?.['Retry-After'],
      { $ref: '#/components/headers/Retry-After' },
      operation.operationId,
    );
  }
});

test('every route the app serves is documented, and nothing else is', (t) => {
  // As app.ts mounts them; the Prometheus /metrics endpoint is for scrapers, not part of the API.
  const mounted: [string, Router][] = [
    ['/api/v1', authRoutes({} as never, UNLIMITED, {} as never, () => async () => {}, {} as never)],
    ['/api/v1', accountRoutes({} as never, {} as never, {} as never, () => async () => {})],
    ['', publicRoutes({} as never, {} as never)],
    ['', openapiRoutes()],
  ];
  const served = mounted.flatMap(([prefix, router]) =>
    router.stack.flatMap((layer) =>
      layer.methods
        .filter((method) => method !== 'HEAD')
        .map((method) => `${method.toLowerCase()} ${prefix}${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
    ),
  );
  const documented = operations.map(({ method, path }) => `${method} ${path}`);
  t.deepEqual(served.sort(), documented.sort());
});

test('the published new-password schema claims no length the policy does not count the same way', (t) => {
  // Found by Schemathesis: "ÍÆÌs¼O" is 6 characters as sent and 8 after NFKC, so the policy accepts it.
  const register = document.paths?.['/api/v1/auth/register']?.post?.requestBody as {
    content: { 'application/json': { schema: { properties: { password: Record<string, unknown> } } } };
  };
  const password = register.content['application/json'].schema.properties.password;
  t.is(newPasswordSchema.safeParse('ÍÆÌs¼O').success, true);
  t.false('minLength' in password || 'maxLength' in password);
  t.regex(String(password.description), /after NFKC/);
});
