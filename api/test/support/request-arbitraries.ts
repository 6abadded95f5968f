import fc from 'fast-check';
import type { OpenApiDocument } from '../../src/http/openapi/document.js';
import { REFRESH_COOKIE } from '../../src/http/refresh-cookie.js';
import { anyCharacter, anyText, EDGE_CHARACTERS } from './unicode-arbitraries.js';

/** The subset of JSON Schema the API's request schemas use. */
interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
}

interface Parameter {
  in: string;
  name: string;
  schema?: JsonSchema;
}

interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<
    string,
    { content?: Record<string, { schema?: { properties?: { code?: JsonSchema } } }> }
  >;
}

/** One operation to fuzz, as the OpenAPI document describes it. */
export interface FuzzedOperation {
  method: string;
  /** The path template, such as /api/v1/sessions/{id}. */
  path: string;
  queryParameters: Parameter[];
  bodySchema?: JsonSchema;
  /** Only an admin gets past its authorisation: the operation can answer auth.forbidden. */
  adminOnly: boolean;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const answersForbidden = (operation: OperationObject) =>
  operation.responses?.['403']?.content?.['application/json']?.schema?.properties?.code?.enum?.includes(
    'auth.forbidden',
  ) ?? false;

export function documentedOperations(document: OpenApiDocument): FuzzedOperation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, OperationObject>)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        queryParameters: (operation.parameters ?? []).filter((parameter) => parameter.in === 'query'),
        bodySchema: operation.requestBody?.content?.['application/json']?.schema,
        adminOnly: answersForbidden(operation),
      })),
  );
}

/**
 * Placeholders for credentials, swapped for the current ones when a request is sent: the fuzz
 * runs sign in again when a run ends their session, and a counterexample stays readable.
 */
export const CREDENTIAL = {
  userToken: '{{userToken}}',
  adminToken: '{{adminToken}}',
  refreshToken: '{{refreshToken}}',
  tamperedToken: (how: TokenTampering) => `{{tampered:${how}}}`,
} as const;

const TOKEN_TAMPERINGS = [
  'subject',
  'session',
  'expiry',
  'signature',
  'alg-none',
  'kid',
  'truncated',
] as const;
export type TokenTampering = (typeof TOKEN_TAMPERINGS)[number];

/** The characters Node lets into a header value (RFC 9110 field-vchar, SP, HTAB and obs-text). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09))
  .map((code) => String.fromCharCode(code));

const headerJunk = fc.string({ unit: headerChar, maxLength: 120 });

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (they become U+FFFD). */
const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

/** Percent signs a decoder chokes on: truncated escapes, non-hex digits, invalid UTF-8. */
const brokenEscapes = fc.constantFrom(
  '%',
  '%Z',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%FF%FE',
  '%%41',
  '%u0041',
  '%00',
);

const urlPiece = fc.oneof(
  { weight: 3, arbitrary: anyText({ maxLength: 30 }).map(percentEncode) },
  {
    weight: 1,
    arbitrary: fc.tuple(anyText({ maxLength: 10 }).map(percentEncode), brokenEscapes).map(([a, b]) => a + b),
  },
);

/** Kept well under Node's 16 KiB header limit together with the rest of the request head. */
const hugeText = fc.integer({ min: 1_000, max: 3_000 }).map((length) => 'a'.repeat(length));

const uuidLike = fc.oneof(
  fc.uuid(),
  fc.uuid().map((uuid) => uuid.toUpperCase()),
  fc.uuid().map((uuid) => uuid.replaceAll('-', '')),
  fc.uuid().map((uuid) => `${uuid}0`),
  fc.constant('00000000-0000-0000-0000-000000000000'),
);

const pathParameter = fc.oneof(uuidLike, urlPiece, hugeText, fc.constantFrom('', '.', '..', '%2F', '%2e%2e'));

const PATH_PARAMETER = /\{[^}]+\}/g;

const fillPathParameters = (template: string) =>
  fc
    .array(pathParameter, {
      minLength: template.match(PATH_PARAMETER)?.length ?? 0,
      maxLength: template.match(PATH_PARAMETER)?.length ?? 0,
    })
    .map((values) => {
      let next = 0;
      return template.replace(PATH_PARAMETER, () => values[next++] ?? '');
    });

/** Body values are not bound by the header limit: up to the body limit, in characters of any width. */
const longText = fc
  .tuple(anyCharacter, fc.integer({ min: 1_000, max: 5_000 }))
  .map(([character, times]) => character.repeat(times));

/** Values of the wrong type, or the right type at its edges. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', ' ', 'null', '[]', '{}', ...EDGE_CHARACTERS),
  anyText({ maxLength: 50 }),
  longText,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** Text from the whole of Unicode with hardly a control character in it: mostly a valid name. */
const wideText = (maxLength: number) => fc.string({ unit: 'binary', minLength: 1, maxLength });

/**
 * What goes into the fields that reach the database, by name: mostly values the API takes, drawn
 * from the whole of Unicode (astral, combining, right-to-left scripts), so that the write really
 * happens; else values at the edges: control, bidirectional and zero-width characters, lone
 * surrogates, very long text.
 */
const FIELD_VALUES: Record<string, (schema: JsonSchema) => fc.Arbitrary<unknown>> = {
  name: (schema) =>
    fc.oneof(
      { weight: 4, arbitrary: wideText(100) },
      { weight: 2, arbitrary: anyText({ maxLength: 110 }) },
      { weight: 1, arbitrary: fc.stringMatching(new RegExp(schema.pattern ?? '', 'u')) },
    ),
  email: (schema) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(new RegExp(schema.pattern ?? '', 'u')) },
      { weight: 1, arbitrary: fc.emailAddress() },
      { weight: 1, arbitrary: anyText({ maxLength: 20 }).map((local) => `${local}@example.test`) },
    ),
  password: (schema) => anyText({ minLength: schema.minLength ?? 1, maxLength: schema.maxLength ?? 128 }),
};
FIELD_VALUES.newPassword = FIELD_VALUES.password as (schema: JsonSchema) => fc.Arbitrary<unknown>;
FIELD_VALUES.currentPassword = FIELD_VALUES.password as (schema: JsonSchema) => fc.Arbitrary<unknown>;

function plausibleValue(schema: JsonSchema, field?: string): fc.Arbitrary<unknown> {
  const byName = field === undefined ? undefined : FIELD_VALUES[field];
  if (byName) return byName(schema);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.type === 'object') return shapedObject(schema);
  if (schema.type === 'integer') {
    return fc.integer({ min: (schema.minimum ?? 0) - 5, max: (schema.maximum ?? 1_000) + 5 });
  }
  if (schema.type === 'string') {
    return anyText({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 200 });
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/** Mostly a value the schema would take, sometimes one it must refuse. */
const schemaValue = (schema: JsonSchema, field?: string) =>
  fc.oneof({ weight: 8, arbitrary: plausibleValue(schema, field) }, { weight: 1, arbitrary: wrongValue });

/** An object with the schema's fields (rarely some missing or of the wrong type) and rarely extra ones. */
function shapedObject(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, field]) => [name, schemaValue(field, name)]),
  );
  const known = fc.oneof(
    { weight: 6, arbitrary: fc.record(fields) },
    { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
  );
  const extra = fc.oneof(
    { weight: 8, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) },
  );
  return fc.tuple(known, extra).map(([fieldsOf, extraOf]) => ({ ...extraOf, ...fieldsOf }));
}

type QueryValue = string | null | string[];

const asQueryValue = (value: unknown): QueryValue => {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => String(item));
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** `key` alone for null, the key repeated for an array. */
const queryPairs = ([key, value]: [string, QueryValue]) => {
  if (value === null) return [key];
  return (Array.isArray(value) ? value : [value]).map((item) => `${key}=${percentEncode(item)}`);
};

function queryString(parameters: Parameter[]): fc.Arbitrary<string> {
  const documented = parameters.map((parameter) =>
    schemaValue(parameter.schema ?? {}).map((value): [string, QueryValue] => [
      parameter.name,
      asQueryValue(value),
    ]),
  );
  const arbitrary = fc.tuple(
    urlPiece,
    fc.oneof(urlPiece, fc.constant(null), fc.array(urlPiece, { maxLength: 3 })),
  );
  const pairs = fc.tuple(
    fc.subarray(documented).chain((chosen) => fc.tuple(...chosen)),
    fc.array(arbitrary, { maxLength: 6 }),
    fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hugeText }),
  );
  return pairs.map(([known, random, long]) => {
    const text = [...known.flatMap(queryPairs), ...random.map(([key, value]) => [key, value].join('=')), long]
      .filter((part) => part !== null)
      .join('&');
    return text === '' ? '' : `?${text}`;
  });
}

function authorization(operation: FuzzedOperation): fc.Arbitrary<string> {
  const realToken = operation.adminOnly ? CREDENTIAL.adminToken : CREDENTIAL.userToken;
  return fc.oneof(
    // The real token most often: only with it do the fuzzed query and body reach the handler.
    { weight: 14, arbitrary: fc.constant(`Bearer ${realToken}`) },
    ...[
      headerJunk,
      headerJunk.map((junk) => `Bearer ${junk}`),
      fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,300}=*$/).map((token) => `Bearer ${token}`),
      fc.constantFrom(...TOKEN_TAMPERINGS).map((how) => `Bearer ${CREDENTIAL.tamperedToken(how)}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `bearer ${CREDENTIAL.userToken}`),
      fc.constant(`Bearer ${CREDENTIAL.userToken}`),
    ].map((arbitrary) => ({ weight: 1, arbitrary })),
  );
}

const contentType = fc.oneof(
  // JSON most often: any other type is refused before the body is even read.
  { weight: 14, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json, text/plain',
    ),
  },
  { weight: 1, arbitrary: headerJunk },
);

const cookie = fc.oneof(
  headerJunk,
  headerJunk.map((junk) => `${REFRESH_COOKIE}=${junk}`),
  fc.constant(`${REFRESH_COOKIE}=${CREDENTIAL.refreshToken}`),
  headerJunk.map((junk) => `${REFRESH_COOKIE}=; ${REFRESH_COOKIE}=${junk}; other=1`),
);

const traceparent = fc.oneof(
  headerJunk,
  fc
    .tuple(
      fc.stringMatching(/^[0-9a-f]{32}$/),
      fc.stringMatching(/^[0-9a-f]{16}$/),
      fc.stringMatching(/^[0-9a-f]{2}$/),
    )
    .map(([trace, span, flags]) => `00-${trace}-${span}-${flags}`),
  fc.constantFrom(`00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`, `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`),
);

const forwardedFor = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc
    .array(fc.oneof(fc.ipV4(), fc.ipV6(), headerJunk), { minLength: 1, maxLength: 4 })
    .map((ips) => ips.join(', ')),
  headerJunk,
);

const origin = (ownOrigin: string) => fc.oneof(fc.constant(ownOrigin), fc.constant('null'), headerJunk);

/** Any subset of the headers the API reads, each one well formed or junk. */
const headers = (operation: FuzzedOperation, ownOrigin: string) =>
  fc
    .tuple(
      fc.record(
        {
          cookie,
          accept: fc.oneof(fc.constantFrom('application/json', '*/*', 'text/html'), headerJunk),
          'accept-encoding': fc.oneof(
            fc.constantFrom('gzip', 'br', 'deflate, gzip;q=0', 'identity;q=0', '*;q=0'),
            headerJunk,
          ),
          'x-request-id': fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), headerJunk),
          traceparent,
          'x-forwarded-for': forwardedFor,
          origin: origin(ownOrigin),
          'sec-fetch-site': fc.oneof(fc.constantFrom('same-origin', 'cross-site', 'none'), headerJunk),
          'user-agent': headerJunk,
          'x-fuzz': headerJunk,
        },
        { requiredKeys: [] },
      ),
      // Usually present, so that most requests get past authentication and media-type checks.
      fc.option(authorization(operation), { freq: 10, nil: undefined }),
      fc.option(contentType, { freq: 10, nil: undefined }),
    )
    .map(
      ([others, authorizationHeader, contentTypeHeader]): Record<string, string> => ({
        ...others,
        ...(authorizationHeader === undefined ? {} : { authorization: authorizationHeader }),
        ...(contentTypeHeader === undefined ? {} : { 'content-type': contentTypeHeader }),
      }),
    );

/** A body, described rather than materialised, so a counterexample reads well. */
export type FuzzBody =
  | { json: unknown }
  | { text: string; encoding: 'utf8' | 'latin1' }
  | { bytes: Uint8Array }
  | { nestingDepth: number }
  | { oversizedBy: number };

function body(operation: FuzzedOperation, limitBytes: number): fc.Arbitrary<FuzzBody> {
  const json = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value) => ({ json: value }));
  return fc.oneof(
    // Mostly the operation's own shape, so most bodies get as far as the handler and the database.
    {
      weight: 14,
      arbitrary: json(operation.bodySchema ? shapedObject(operation.bodySchema) : fc.jsonValue()),
    },
    { weight: 2, arbitrary: json(fc.jsonValue()) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: 'binary' }), fc.constantFrom('utf8' as const, 'latin1' as const))
        .map(([text, encoding]) => ({ text, encoding })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes })) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: Math.floor(limitBytes / 2) })
        .map((nestingDepth) => ({ nestingDepth })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_048 }).map((oversizedBy) => ({ oversizedBy })) },
  );
}

export function materialiseBody(fuzzBody: FuzzBody, limitBytes: number): Buffer {
  if ('json' in fuzzBody) return Buffer.from(JSON.stringify(fuzzBody.json), 'utf8');
  if ('text' in fuzzBody) return Buffer.from(fuzzBody.text, fuzzBody.encoding);
  if ('bytes' in fuzzBody) return Buffer.from(fuzzBody.bytes);
  if ('nestingDepth' in fuzzBody) {
    return Buffer.from('['.repeat(fuzzBody.nestingDepth) + ']'.repeat(fuzzBody.nestingDepth));
  }
  // Valid JSON, only too long: the limit, not the parser, must refuse it.
  const padding = 'x'.repeat(limitBytes + fuzzBody.oversizedBy - '{"name":""}'.length);
  return Buffer.from(JSON.stringify({ name: padding }));
}

export interface FuzzRequest {
  method: string;
  /** Path and query string, sent as they are. */
  target: string;
  headers: Record<string, string>;
  body?: FuzzBody;
  /** Sent without Content-Length, so the API reads a stream of unknown length. */
  chunked: boolean;
}

export function requestArbitrary(
  operation: FuzzedOperation,
  { ownOrigin, bodyLimitBytes }: { ownOrigin: string; bodyLimitBytes: number },
): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: fc.constant(operation.method),
    target: fc
      .tuple(fillPathParameters(operation.path), queryString(operation.queryParameters))
      .map(([path, query]) => path + query),
    headers: headers(operation, ownOrigin),
    body: fc.option(body(operation, bodyLimitBytes), { nil: undefined, freq: 10 }),
    chunked: fc.boolean(),
  });
}
