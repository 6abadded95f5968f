import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { generateKeyEntry } from '../../src/domain/tokens/key-set.js';
import { uniqueEmail } from '../support/accounts.js';
import { createTestDatabase } from '../support/database.js';
import { apiRoot, type Finished, finished, runScript, startApiProcess } from '../support/processes.js';

/*
 * Schemathesis, a contract fuzzer written by others, against the API in production mode: it reads
 * /openapi.json, generates requests from it (valid and invalid), and runs every check it has:
 * no 5xx, only documented status codes, content types and headers, bodies matching their schemas,
 * schema-valid requests accepted and invalid ones refused, authentication not ignored. The few
 * per-operation exceptions live in schemathesis.toml, each with its reason.
 */

const CONFIG_FILE = join(apiRoot, 'test', 'contract', 'schemathesis.toml');
const INSTALL_HINT =
  'Install it from the repository root: python3 -m venv .venv && .venv/bin/pip install -r api/test/contract/requirements.txt ' +
  '(or point SCHEMATHESIS at a schemathesis executable).';
/** Per operation and phase; a run of every operation takes well under a minute on two cores. */
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '100';

/** SCHEMATHESIS, then the virtualenv .ci/run makes in the repository root, then PATH. */
async function locateSchemathesis(): Promise<string | undefined> {
  const candidates = [
    process.env.SCHEMATHESIS,
    join(apiRoot, '..', '.venv', 'bin', 'schemathesis'),
    ...(process.env.PATH ?? '').split(delimiter).map((folder) => join(folder, 'schemathesis')),
  ].filter((candidate): candidate is string => Boolean(candidate));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there: the next candidate.
    }
  }
  return undefined;
}

interface RunningApi {
  url: string;
  stop(): Promise<Finished>;
}

/** As it runs in production: migrated by the CLI, keys from a file, rate limits off for the fuzzer. */
async function startProductionApi(t: ExecutionContext, databaseUrl: string): Promise<RunningApi> {
  const folder = await mkdtemp(join(tmpdir(), 'skeleton-contract-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  const keysFile = join(folder, 'keys.json');
  await writeFile(keysFile, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  const migrated = await runScript('src/cli/migrate.ts', ['up'], { DATABASE_URL: databaseUrl });
  if (migrated.code !== 0) throw new Error(migrated.stderr);
  const { child, output, url } = await startApiProcess({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    JWT_KEYS_FILE: keysFile,
    JWT_ISSUER: 'https://accounts.example.test',
    RATE_LIMITS: 'off',
  });
  t.teardown(() => child.kill('SIGKILL'));
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      return output;
    },
  };
}

async function post(
  url: string,
  body: object,
): Promise<{ status: number; body: { data?: { accessToken?: string } } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: { accessToken?: string } } };
}

/** An admin, so that the admin listing is fuzzed past its authorisation too. */
async function adminCredentials(api: RunningApi, databaseUrl: string) {
  const credentials = { email: uniqueEmail('contract'), password: randomBytes(24).toString('base64url') };
  const registered = await post(`${api.url}/api/v1/auth/register`, { ...credentials, name: 'Contract Test' });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const promoted = await runScript('src/cli/users.ts', ['promote', credentials.email], {
    DATABASE_URL: databaseUrl,
  });
  if (promoted.code !== 0) throw new Error(promoted.stderr);
  return credentials;
}

interface Run {
  /** What `schemathesis run` selects, e.g. ['--include-operation-id', 'logoutAll']. */
  selection: string[];
  accessToken: string;
}

function runSchemathesis(tool: string, api: RunningApi, { selection, accessToken }: Run): Promise<Finished> {
  const seed = process.env.SCHEMATHESIS_SEED ? ['--seed', process.env.SCHEMATHESIS_SEED] : [];
  const child = spawn(
    tool,
    [
      '--config-file',
      CONFIG_FILE,
      '--no-color',
      'run',
      `${api.url}/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      MAX_EXAMPLES,
      '--header',
      `Authorization: Bearer ${accessToken}`,
      '--generation-database',
      'none',
      ...seed,
      ...selection,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return finished(child);
}

/**
 * Logging out everywhere and ending a session end the bearer's own session: run with the others
 * they would sign the rest of the run out. They come last, each in a run of its own with a token
 * of its own.
 */
const SESSION_ENDING = ['logoutAll', 'endSession'];
const RUNS = [
  SESSION_ENDING.flatMap((operationId) => ['--exclude-operation-id', operationId]),
  ...SESSION_ENDING.map((operationId) => ['--include-operation-id', operationId]),
];

test('Schemathesis finds nothing: every check, every operation, the API in production mode', async (t) => {
  t.timeout(10 * 60_000);
  const tool = await locateSchemathesis();
  if (!tool) {
    t.fail(`Schemathesis is not installed. ${INSTALL_HINT}`);
    return;
  }
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const api = await startProductionApi(t, database.url);
  const credentials = await adminCredentials(api, database.url);
  for (const selection of RUNS) {
    const login = await post(`${api.url}/api/v1/auth/login`, credentials);
    const accessToken = login.body.data?.accessToken;
    if (!accessToken) throw new Error(`login answered ${login.status}`);
    const started = Date.now();
    const { code, stdout, stderr } = await runSchemathesis(tool, api, { selection, accessToken });
    const summary = stdout.slice(stdout.lastIndexOf('SUMMARY'));
    t.log(
      `${selection.join(' ')}: exit ${code} in ${Math.round((Date.now() - started) / 1000)} s\n${summary}`,
    );
    t.is(code, 0, `Schemathesis reported failures (replay with SCHEMATHESIS_SEED):\n${stdout}\n${stderr}`);
  }
  const { code } = await api.stop();
  t.is(code, 0, 'the API shut down cleanly');
});
