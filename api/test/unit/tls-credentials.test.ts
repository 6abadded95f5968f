import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError } from '../../src/config.js';
import { readTlsCredentials } from '../../src/tls-credentials.js';

const certFile = fileURLToPath(new URL('../support/tls/cert.pem', import.meta.url));
const keyFile = fileURLToPath(new URL('../support/tls/key.pem', import.meta.url));

let folder: string;

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'skeleton-tls-'));
});

test.after.always(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

const problemsOf = async (files: { certFile: string; keyFile: string }) =>
  (await readTlsCredentials(files).catch((error: unknown) => error)) as ConfigError;

test('a certificate and its key are read as they are', async (t) => {
  const credentials = await readTlsCredentials({ certFile, keyFile });
  t.deepEqual(credentials, { cert: await readFile(certFile), key: await readFile(keyFile) });
});

test('every file that cannot be read is named, with its variable', async (t) => {
  const error = await problemsOf({
    certFile: join(folder, 'absent.crt'),
    keyFile: join(folder, 'absent.key'),
  });
  t.true(error instanceof ConfigError);
  t.deepEqual(error.problems, [
    `TLS_CERT_FILE: cannot read ${join(folder, 'absent.crt')}: ENOENT`,
    `TLS_KEY_FILE: cannot read ${join(folder, 'absent.key')}: ENOENT`,
  ]);
});

test('files that are not a certificate and its own key are refused', async (t) => {
  const otherKey = join(folder, 'other.key');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(otherKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  for (const [files, reason] of [
    [{ certFile, keyFile: otherKey }, /key values mismatch/],
    [{ certFile: keyFile, keyFile }, /no start line/],
  ] as const) {
    const error = await problemsOf(files);
    t.true(error instanceof ConfigError);
    t.regex(
      error.problems[0] ?? '',
      /^TLS_CERT_FILE, TLS_KEY_FILE: not a PEM certificate and its private key/,
    );
    t.regex(error.problems[0] ?? '', reason);
  }
});
