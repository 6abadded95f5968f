import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { generateKeyEntry } from '../../src/domain/tokens/key-set.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { finished, runScript, startScript, waitForLine } from '../support/processes.js';

let database: TestDatabase;
let folder: string;

test.before(async () => {
  database = await createTestDatabase();
  folder = await mkdtemp(join(tmpdir(), 'skeleton-prod-'));
  const migrated = await runScript('src/cli/migrate.ts', ['up'], { DATABASE_URL: database.url });
  if (migrated.code !== 0) throw new Error(migrated.stderr);
});

test.after.always(async () => {
  await database?.drop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const production = (keysFile: string) => ({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: '0',
  DATABASE_URL: database.url,
  JWT_KEYS_FILE: keysFile,
  JWT_ISSUER: 'https://accounts.example.test',
});

test('production signs with the current key of JWT_KEYS_FILE and publishes the whole set', async (t) => {
  const keysFile = join(folder, 'keys.json');
  const keys = [
    await generateKeyEntry('previous'),
    await generateKeyEntry('current'),
    await generateKeyEntry('next', 'ES256'),
  ];
  await writeFile(keysFile, JSON.stringify({ keys }));
  const api = startScript('src/main.ts', [], production(keysFile));
  const exited = finished(api);
  try {
    const [, url] = await waitForLine(api, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    t.deepEqual(
      jwks.keys.map((key) => key.kid),
      keys.map((key) => key.kid),
    );
    const ready = await fetch(`${url}/health/ready`);
    t.is(ready.status, 200);
    api.kill('SIGTERM');
    const { code, stdout } = await exited;
    t.is(code, 0);
    t.notRegex(stdout, /ephemeral|PGlite/);
  } finally {
    api.kill('SIGKILL');
  }
});

test('production refuses a missing or invalid key-set file with a message, not a stack', async (t) => {
  const missing = await runScript('src/main.ts', [], production(join(folder, 'absent.json')));
  t.is(missing.code, 1);
  t.regex(missing.stderr, /cannot read JWT_KEYS_FILE .*absent\.json: ENOENT/);
  t.notRegex(missing.stderr, /\n\s+at /);

  const invalidFile = join(folder, 'invalid.json');
  await writeFile(invalidFile, JSON.stringify({ keys: [await generateKeyEntry('previous')] }));
  const invalid = await runScript('src/main.ts', [], production(invalidFile));
  t.is(invalid.code, 1);
  t.regex(invalid.stderr, /exactly one current key/);
});
