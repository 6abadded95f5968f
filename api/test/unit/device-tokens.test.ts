import test from 'ava';
import * as jose from 'jose';
import { AccessTokenService } from '../../src/domain/tokens/access-tokens.js';
import { DeviceTokenService } from '../../src/domain/tokens/device-tokens.js';
import { generateKeyEntry, type KeySet, parseKeySet } from '../../src/domain/tokens/key-set.js';
import { testClock } from '../support/clock.js';

const settings = { issuer: 'https://issuer.test', ttlSeconds: 3600 };
const ACCOUNT = 'account-digest-a';

async function setup() {
  const current = await generateKeyEntry('current');
  let keySet = await parseKeySet({ keys: [current] });
  const time = testClock(new Date('2026-01-01T00:00:00Z'));
  const keys = () => keySet;
  const devices = new DeviceTokenService(keys, settings, time.clock);
  return { devices, keys, time, current, replaceKeys: (next: KeySet) => (keySet = next) };
}

test('a device token names a new random device for its account, until it expires', async (t) => {
  const { devices, time, current } = await setup();
  const token = await devices.issue(ACCOUNT);
  t.deepEqual(jose.decodeProtectedHeader(token), { alg: 'EdDSA', kid: current.kid, typ: 'device+jwt' });
  const claims = jose.decodeJwt(token);
  t.like(claims, { iss: settings.issuer, sub: ACCOUNT });
  t.is((claims.exp ?? 0) - (claims.iat ?? 0), 3600);

  const device = await devices.deviceOf(token, ACCOUNT);
  t.regex(device ?? '', /^[A-Za-z0-9_-]{22}$/, '128 random bits');
  t.is(device, claims.jti);
  t.not(await devices.deviceOf(await devices.issue(ACCOUNT), ACCOUNT), device, 'each login, a new device');

  time.advance(3599);
  t.is(await devices.deviceOf(token, ACCOUNT), device);
  time.advance(2);
  t.is(await devices.deviceOf(token, ACCOUNT), undefined, 'expired');
});

test('a device token vouches for its own account only, and nothing else passes for one', async (t) => {
  const { devices, keys, time, current } = await setup();
  const token = await devices.issue(ACCOUNT);
  t.is(await devices.deviceOf(token, 'account-digest-b'), undefined, 'another account');
  t.is(await devices.deviceOf(`${token.slice(0, -4)}AAAA`, ACCOUNT), undefined, 'a forged signature');
  t.is(await devices.deviceOf('not a token', ACCOUNT), undefined);

  const access = new AccessTokenService(
    keys,
    { ...settings, audience: 'skeleton-api', clockSkewSeconds: 30 },
    time.clock,
  );
  const accessToken = (await access.issue({ userId: ACCOUNT, sessionId: 's' })).token;
  t.is(await devices.deviceOf(accessToken, ACCOUNT), undefined, 'an access token');
  t.is(await access.verify(token).catch(() => 'refused'), 'refused', 'nor is a device token an access token');

  const key = (await jose.importJWK(current, 'EdDSA')) as jose.CryptoKey;
  const now = Math.floor(time.clock().getTime() / 1000);
  const sign = (claims: jose.JWTPayload, header: Partial<jose.JWTHeaderParameters> = {}) =>
    new jose.SignJWT({
      iss: settings.issuer,
      sub: ACCOUNT,
      jti: 'device-x',
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: current.kid, typ: 'device+jwt', ...header })
      .sign(key);
  t.is(await devices.deviceOf(await sign({}), ACCOUNT), 'device-x', 'well formed');
  t.is(await devices.deviceOf(await sign({ iss: 'https://evil.test' }), ACCOUNT), undefined, 'issuer');
  t.is(await devices.deviceOf(await sign({ jti: undefined }), ACCOUNT), undefined, 'no device id');
  t.is(await devices.deviceOf(await sign({ exp: undefined }), ACCOUNT), undefined, 'no expiry');
  t.is(await devices.deviceOf(await sign({}, { kid: 'unknown' }), ACCOUNT), undefined, 'unknown key');
  t.is(await devices.deviceOf(await sign({}, { kid: undefined }), ACCOUNT), undefined, 'no key id');
  const otherKey = await generateKeyEntry('current', 'ES256');
  const underAnotherAlgorithm = await new jose.SignJWT({
    iss: settings.issuer,
    sub: ACCOUNT,
    jti: 'x',
    exp: now + 60,
  })
    .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'device+jwt' })
    .sign((await jose.importJWK(otherKey, 'ES256')) as jose.CryptoKey);
  t.is(await devices.deviceOf(underAnotherAlgorithm, ACCOUNT), undefined, 'the algorithm its key is not for');
});

test('a device token verifies while its key is in the set, as a previous key too, and not after', async (t) => {
  const { devices, current, replaceKeys } = await setup();
  const token = await devices.issue(ACCOUNT);
  const next = await generateKeyEntry('current');
  replaceKeys(await parseKeySet({ keys: [next, { ...current, state: 'previous' }] }));
  t.truthy(await devices.deviceOf(token, ACCOUNT), 'rotated, still published');
  t.is(jose.decodeProtectedHeader(await devices.issue(ACCOUNT)).kid, next.kid, 'new tokens use the new key');
  replaceKeys(await parseKeySet({ keys: [next] }));
  t.is(await devices.deviceOf(token, ACCOUNT), undefined, 'retired');
});
