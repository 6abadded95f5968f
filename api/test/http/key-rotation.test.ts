import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as jose from 'jose';
import { generateKeyEntry } from '../../src/domain/tokens/key-set.js';
import { logIn, signUpAndIn } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { writeProjectedVolume } from '../support/atomic-writer.js';
import { eventually } from '../support/eventually.js';
import { collectLogLines } from '../support/log-lines.js';

// The Secret volume must exist before the API starts, so this hook is registered before the suite's.
const volume = join(tmpdir(), `skeleton-keys-volume-${randomUUID()}`);
const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('next', 'ES256')];
const project = (...keys: object[]) =>
  writeProjectedVolume(volume, { 'keys.json': JSON.stringify({ keys }) });
test.before(() => project(a));
test.after.always(() => rm(volume, { recursive: true, force: true }));

const logs = collectLogLines();
const suite = apiOnFreshDatabase(
  { JWT_KEYS_FILE: join(volume, 'keys.json'), JWT_KEYS_CHECK_INTERVAL: '1s', LOG_LEVEL: 'info' },
  { logDestination: logs.destination },
);

const jwksKids = async () => {
  const response = await suite.api.request('GET', '/.well-known/jwks.json');
  return (response.body.keys as Array<{ kid: string }>).map((key) => key.kid);
};
const publishes = (kids: string[]) => async () =>
  JSON.stringify(await jwksKids()) === JSON.stringify(kids) ? true : undefined;
const me = async (token: string) => (await suite.api.request('GET', '/api/v1/users/me', { token })).status;
const kidOf = (token: string) => jose.decodeProtectedHeader(token).kid;
const metric = async (series: string) => {
  const text = String((await suite.api.request('GET', '/metrics')).body);
  return text.split('\n').find((line) => line.startsWith(`${series} `));
};

test.serial('the API rotates through the projected volume without a restart', async (t) => {
  const jwks = await suite.api.request('GET', '/.well-known/jwks.json');
  t.is(jwks.headers.get('cache-control'), 'public, max-age=300');
  t.deepEqual(await jwksKids(), [a.kid]);
  const user = await signUpAndIn(suite.api);
  t.is(kidOf(user.accessToken), a.kid);
  t.is(await me(user.accessToken), 200, 'verified once, now remembered');

  await project(a, b);
  await eventually(publishes([a.kid, b.kid]), 'the next key published');
  t.is(kidOf((await logIn(suite.api, user.email)).accessToken), a.kid, 'a next key does not sign');

  await project({ ...a, state: 'previous' }, { ...b, state: 'current' });
  const signedByB = await eventually(async () => {
    const { accessToken } = await logIn(suite.api, user.email);
    return kidOf(accessToken) === b.kid ? accessToken : undefined;
  }, 'signing with the new current key');
  t.is(await me(user.accessToken), 200, 'the previous key still verifies');
  t.is(await me(signedByB), 200);

  await project({ ...b, state: 'current' });
  await eventually(publishes([b.kid]), 'the retired key withdrawn');
  t.is(await me(user.accessToken), 401, 'a retired key no longer verifies, even a remembered token');
  t.is(await me(signedByB), 200);
  t.is(
    await metric('jwt_key_set_reloads_total{result="success"}'),
    'jwt_key_set_reloads_total{result="success"} 3',
  );
  t.is(await metric('jwt_key_set_keys{state="current"}'), 'jwt_key_set_keys{state="current"} 1');
  t.is(await metric('jwt_key_set_keys{state="previous"}'), 'jwt_key_set_keys{state="previous"} 0');
});

test.serial('a broken key-set file is refused, logged without key material and counted', async (t) => {
  const before = await jwksKids();
  const user = await signUpAndIn(suite.api);
  await writeProjectedVolume(volume, { 'keys.json': `{"keys": [${JSON.stringify(b)}` });
  await eventually(async () => {
    const failures = Number((await metric('jwt_key_set_reloads_total{result="failure"}'))?.split(' ')[1]);
    return failures > 0 ? true : undefined;
  }, 'the failure counted');
  t.deepEqual(await jwksKids(), before, 'the last good key set stays');
  t.is(await me(user.accessToken), 200);
  t.is(
    kidOf((await logIn(suite.api, user.email)).accessToken),
    b.kid,
    'still signing with the last good key',
  );
  const warning = logs.parsed().find((line) => /not reloaded/.test(line.msg));
  t.regex(warning?.reason ?? '', /is not valid JSON/);
  t.false(logs.lines.some((line) => line.includes(a.d as string) || line.includes(b.d as string)));
  const loaded = Number((await metric('jwt_key_set_last_reload_success_timestamp_seconds'))?.split(' ')[1]);
  t.true(loaded > 0 && loaded <= Date.now() / 1000);
});
