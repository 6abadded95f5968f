import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { errorCodes } from '../../src/http/openapi/error-catalogue.js';
import { logIn, type SignedIn, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collectLogLines } from '../support/log-lines.js';
import {
  CREDENTIAL,
  documentedOperations,
  type FuzzedOperation,
  type FuzzRequest,
  materialiseBody,
  requestArbitrary,
  type TokenTampering,
} from '../support/request-arbitraries.js';

/*
 * Property-based fuzzing of every endpoint: whatever the path parameters, query, headers and
 * body, the API answers below 500, never shows a stack trace, gives every 4xx a JSend `fail`
 * with a stable code, and logs no error. Each run is one request with fast-check's random seed;
 * a failure prints the seed and path, and FUZZ_SEED / FUZZ_PATH replay it.
 */

// About 1,700 requests: 20 to 45 s for the whole file on a two-core machine under other load.
const RUNS_PER_OPERATION = 100;
const BODY_LIMIT_BYTES = 16_384;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_KEY_PREFIX = `skeleton-fuzz-${randomUUID()}:`;

/** The scrape endpoint is served on the API's port but is not part of the documented API. */
const UNDOCUMENTED: FuzzedOperation[] = [
  { method: 'GET', path: '/metrics', queryParameters: [], adminOnly: false },
];

const operations = [...documentedOperations(buildOpenApiDocument()), ...UNDOCUMENTED];

/**
 * Operations whose fuzzed bodies must get all the way to a database write at least once in a run
 * (the status that proves it): a fuzzer that only ever meets the validation never finds what
 * PostgreSQL refuses.
 */
const MUST_WRITE: Record<string, number> = {
  'POST /api/v1/auth/register': 201,
  'PATCH /api/v1/users/me': 200,
};

/** What the document held when this test was written: an enumeration that loses any fails. */
const KNOWN_OPERATIONS = [
  'GET /.well-known/jwks.json',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/logout-all',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/register',
  'GET /api/v1/sessions',
  'DELETE /api/v1/sessions/{id}',
  'GET /api/v1/users',
  'DELETE /api/v1/users/me',
  'GET /api/v1/users/me',
  'PATCH /api/v1/users/me',
  'PUT /api/v1/users/me/password',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /openapi.json',
];

/**
 * What an unexpected error leaves behind: the error mapper logs those at level error, and the API
 * runs at LOG_LEVEL=error. The audit lines of authentication events are written at any level, as
 * info, so only lines of level error and above count.
 */
const { destination: errorLog, lines: loggedLines } = collectLogLines();
const LEVEL_ERROR = 50;
const errorLinesSince = (index: number) =>
  loggedLines.slice(index).filter((line) => (JSON.parse(line) as { level: number }).level >= LEVEL_ERROR);

let database: TestDatabase;
let api: TestApi;
const accounts = {} as { user: SignedIn; admin: SignedIn };
const statusCounts = new Map<number, number>();

test.before(async () => {
  database = await createTestDatabase();
  // Rate limiting runs on Redis and reads the client address from X-Forwarded-For, so the
  // limiter's key derivation and store see fuzzed addresses and emails. The limits themselves
  // stay out of the way (startApi's test policy): many fuzzed addresses are junk and fall back to
  // the socket's, and a 429 there would hide whatever the request would otherwise have reached.
  api = await startApi(
    {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX,
      TRUST_PROXY_HOPS: '1',
      BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      LOG_LEVEL: 'error',
    },
    { logDestination: errorLog },
  );
  accounts.user = await signUpAndIn(api);
  const admin = await signUpAndIn(api, uniqueEmail('admin'));
  await api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
  accounts.admin = admin;
});

test.after.always(async () => {
  await api?.close();
  await database?.drop();
  const redis = new Redis(REDIS_URL);
  const fuzzKeys = await redis.keys(`${REDIS_KEY_PREFIX}*`);
  if (fuzzKeys.length > 0) await redis.del(...fuzzKeys);
  redis.disconnect();
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part = '') => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** The user's real access token, changed so that only a careless verifier would accept it. */
function tamper(token: string, how: TokenTampering): string {
  const [header, payload, signature = ''] = token.split('.');
  const withPayload = (changes: object) =>
    `${header}.${base64url({ ...decodePart(payload), ...changes })}.${signature}`;
  const withHeader = (changes: object) =>
    `${base64url({ ...decodePart(header), ...changes })}.${payload}.${signature}`;
  switch (how) {
    case 'subject':
      return withPayload({ sub: accounts.admin.userId });
    case 'session':
      return withPayload({ sid: randomUUID() });
    case 'expiry':
      return withPayload({ exp: 4_102_444_800 });
    case 'signature':
      return `${header}.${payload}.${[...signature].reverse().join('')}`;
    case 'alg-none':
      return withHeader({ alg: 'none' }).replace(/[^.]*$/, '');
    case 'kid':
      return withHeader({ kid: randomUUID() });
    case 'truncated':
      return token.slice(0, -8);
  }
}

const PLACEHOLDER = /\{\{(\w+)(?::([\w-]+))?\}\}/g;

function withCredentials(text: string): string {
  return text.replace(PLACEHOLDER, (_placeholder, name: string, how?: string) => {
    if (name === 'tampered') return tamper(accounts.user.accessToken, how as TokenTampering);
    if (name === 'adminToken') return accounts.admin.accessToken;
    return name === 'refreshToken' ? accounts.user.refreshToken : accounts.user.accessToken;
  });
}

const usesRealCredentials = (request: FuzzRequest) =>
  [CREDENTIAL.userToken, CREDENTIAL.adminToken, CREDENTIAL.refreshToken].some((placeholder) =>
    Object.values(request.headers).some((value) => value.includes(placeholder)),
  );

/** A run may log out, refresh or end a session: later runs need a live token, not a plain 401. */
async function keepSignedIn(account: SignedIn): Promise<void> {
  const me = await api.request('GET', '/api/v1/users/me', { token: account.accessToken });
  if (me.status !== 200) Object.assign(account, await logIn(api, account.email, account.password));
}

interface Answer {
  status: number;
  text: string;
}

function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  if (encoding === 'deflate') return zlib.inflateSync(body);
  return body;
}

/** node:http rather than fetch: it sends header bytes and request targets fetch would refuse or rewrite. */
function send(request: FuzzRequest): Promise<Answer> {
  const body = request.body && materialiseBody(request.body, BODY_LIMIT_BYTES);
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, withCredentials(value)]),
  );
  // Framed either way, whatever the method: Node sends a GET's body unframed otherwise.
  if (body)
    headers[request.chunked ? 'transfer-encoding' : 'content-length'] = request.chunked
      ? 'chunked'
      : String(body.length);
  const { hostname, port } = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { hostname, port, method: request.method, path: request.target, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const decoded = decompress(Buffer.concat(chunks), response.headers['content-encoding']);
          resolve({ status: response.statusCode ?? 0, text: decoded.toString('utf8') });
        });
      },
    );
    // Once the answer is in, a reset of the rest of an oversized upload no longer matters.
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const SOURCE_DIRECTORY = fileURLToPath(new URL('../../src/', import.meta.url));
const STACK_TRACE_SIGNS = [
  /(?:\n|\\n)\s*at \S.*:\d+:\d+/,
  /\bat (?:async )?[\w.<>$]+ \(/,
  /node_modules/,
  /file:\/\//,
];

function stackTraceProblems({ text }: Answer): string[] {
  const signs = STACK_TRACE_SIGNS.filter((sign) => sign.test(text)).map(String);
  if (text.includes(SOURCE_DIRECTORY)) signs.push('the source directory');
  return signs.map((sign) => `the body shows a stack trace (${sign})`);
}

/** Every 4xx is JSend `fail` with a code from the error catalogue and the request id. */
function failBodyProblems({ status, text }: Answer): string[] {
  if (status < 400 || status >= 500) return [];
  let body: { status?: unknown; code?: unknown; requestId?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return ['a 4xx whose body is not JSON'];
  }
  const problems: string[] = [];
  if (body?.status !== 'fail') problems.push('a 4xx that is not JSend fail');
  if (!errorCodes.includes(body?.code as never))
    problems.push(`code ${String(body?.code)} is not in the catalogue`);
  if (typeof body?.requestId !== 'string') problems.push('a 4xx without a requestId');
  return problems;
}

async function fuzzOnce(request: FuzzRequest): Promise<void> {
  const loggedBefore = loggedLines.length;
  const answer = await send(request);
  statusCounts.set(answer.status, (statusCounts.get(answer.status) ?? 0) + 1);
  const problems = [
    ...(answer.status >= 500 ? [`answered ${answer.status}`] : []),
    ...stackTraceProblems(answer),
    ...failBodyProblems(answer),
    ...errorLinesSince(loggedBefore).map((line) => `logged an error: ${line}`),
  ];
  if (usesRealCredentials(request)) {
    await keepSignedIn(accounts.user);
    await keepSignedIn(accounts.admin);
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('\n')}\n${answer.status} ${answer.text.slice(0, 2_000)}`);
  }
}

const replay = process.env.FUZZ_SEED
  ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH }
  : {};

const histogram = (counts: Map<number, number>) =>
  [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');

test.serial('the fuzzed operations are the documented ones, and none is missing', (t) => {
  const fuzzed = operations.map(({ method, path }) => `${method} ${path}`);
  t.deepEqual(
    KNOWN_OPERATIONS.filter((operation) => !fuzzed.includes(operation)),
    [],
  );
  t.true(fuzzed.length >= KNOWN_OPERATIONS.length);
});

for (const operation of operations) {
  test.serial(`${operation.method} ${operation.path}: no 5xx, no stack trace, no logged error`, async (t) => {
    const countsBefore = new Map(statusCounts);
    const arbitrary = requestArbitrary(operation, {
      ownOrigin: api.baseUrl,
      bodyLimitBytes: BODY_LIMIT_BYTES,
    });
    const details = await fc.check(fc.asyncProperty(arbitrary, fuzzOnce), {
      numRuns: RUNS_PER_OPERATION,
      includeErrorInReport: true,
      ...replay,
    });
    const counts = new Map(
      [...statusCounts].map(([status, count]) => [status, count - (countsBefore.get(status) ?? 0)]),
    );
    t.log(
      `seed ${details.seed}: ${details.numRuns} runs, ${histogram(new Map([...counts].filter(([, n]) => n > 0)))}`,
    );
    if (details.failed) t.fail(fc.defaultReportMessage(details) ?? 'the property failed');
    const written = MUST_WRITE[`${operation.method} ${operation.path}`];
    if (written !== undefined) {
      t.true((counts.get(written) ?? 0) > 0, `no fuzzed request reached the database (no ${written})`);
    }
    t.pass();
  });
}

test.serial('every operation was fuzzed', (t) => {
  const requests = [...statusCounts.values()].reduce((sum, count) => sum + count, 0);
  t.log(`${requests} requests over ${operations.length} operations: ${histogram(statusCounts)}`);
  t.true(requests >= operations.length * RUNS_PER_OPERATION);
});
