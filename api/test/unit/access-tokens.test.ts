import test from 'ava';
import * as jose from 'jose';
import { AccessTokenService } from '../../src/domain/tokens/access-tokens.js';
import { generateKeyEntry, type KeySet, parseKeySet } from '../../src/domain/tokens/key-set.js';
import { testClock } from '../support/clock.js';
import { codeOf } from '../support/outcome.js';

const settings = {
  issuer: 'https://issuer.test',
  audience: 'skeleton-api',
  ttlSeconds: 900,
  clockSkewSeconds: 30,
};
const USER_ID = '0190c1a0-0000-7000-8000-000000000001';
const SESSION_ID = '0190c1a0-0000-7000-8000-000000000002';

async function setup(alg: 'EdDSA' | 'ES256' = 'EdDSA') {
  const current = await generateKeyEntry('current', alg);
  let keySet = await parseKeySet({ keys: [current] });
  const time = testClock(new Date('2026-01-01T00:00:00Z'));
  const service = new AccessTokenService(() => keySet, settings, time.clock);
  return { service, time, current, replaceKeys: (next: KeySet) => (keySet = next) };
}

/** Tokens signed with the service's own key, with whatever claims a forger would choose. */
async function withForger() {
  const { service, time, current } = await setup();
  const key = (await jose.importJWK(current, 'EdDSA')) as jose.CryptoKey;
  const now = Math.floor(time.clock().getTime() / 1000);
  // CompactSign rather than SignJWT, which refuses to sign claims of the wrong type.
  const signed = (claims: Record<string, unknown>, typ = 'at+jwt') =>
    new jose.CompactSign(
      new TextEncoder().encode(
        JSON.stringify({
          sid: SESSION_ID,
          sub: USER_ID,
          iss: settings.issuer,
          aud: settings.audience,
          iat: now,
          exp: now + 60,
          ...claims,
        }),
      ),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: current.kid, typ })
      .sign(key);
  return { service, signed, now };
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  test(`${alg}: a token verifies until it expires, by the injected clock`, async (t) => {
    const { service, time, current } = await setup(alg);
    const { token, expiresIn } = await service.issue({ userId: USER_ID, sessionId: SESSION_ID });
    t.is(expiresIn, 900);
    const header = jose.decodeProtectedHeader(token);
    t.deepEqual(header, { alg, kid: current.kid, typ: 'at+jwt' });
    const claims = jose.decodeJwt(token);
    t.like(claims, { iss: settings.issuer, aud: settings.audience, sub: USER_ID, sid: SESSION_ID });
    t.is((claims.exp ?? 0) - (claims.iat ?? 0), 900);
    t.truthy(claims.jti);

    t.deepEqual(await service.verify(token), { userId: USER_ID, sessionId: SESSION_ID });
    time.advance(899);
    t.deepEqual(await service.verify(token), { userId: USER_ID, sessionId: SESSION_ID });
    time.advance(2);
    t.is(await codeOf(service.verify(token)), 'auth.token_expired');
  });
}

test('issuer, audience and type are pinned', async (t) => {
  const { service, signed, now } = await withForger();
  t.is(await codeOf(service.verify(await signed({}))), 'accepted');
  t.is(await codeOf(service.verify(await signed({ iss: 'https://evil.test' }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await signed({ aud: 'another-api' }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await signed({}, 'JWT'))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await signed({ sid: undefined }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await signed({ nbf: now + 600 }))), 'auth.invalid_token');
});

test('subject and session must be UUIDs: anything else would reach the database as one', async (t) => {
  const { service, signed } = await withForger();
  t.is(await codeOf(service.verify(await signed({}))), 'accepted');
  for (const claims of [
    { sid: 'not-a-uuid' },
    { sub: 'not-a-uuid' },
    { sid: `${SESSION_ID}0` },
    { sid: 42 },
    { sub: '' },
    { sid: `${SESSION_ID}\u0000` },
  ]) {
    t.is(await codeOf(service.verify(await signed(claims))), 'auth.invalid_token', JSON.stringify(claims));
  }
});

test('issued in the future beyond the clock skew, or valid longer than the TTL allows: refused', async (t) => {
  const { service, signed, now } = await withForger();
  const { ttlSeconds, clockSkewSeconds } = settings;
  // Another replica's clock a little ahead: still accepted.
  t.is(
    await codeOf(service.verify(await signed({ iat: now + clockSkewSeconds, exp: now + 60 }))),
    'accepted',
  );
  t.is(
    await codeOf(service.verify(await signed({ iat: now + clockSkewSeconds + 1, exp: now + 600 }))),
    'auth.invalid_token',
  );
  t.is(
    await codeOf(service.verify(await signed({ iat: now, exp: now + ttlSeconds + clockSkewSeconds }))),
    'accepted',
  );
  t.is(
    await codeOf(service.verify(await signed({ iat: now, exp: now + ttlSeconds + clockSkewSeconds + 1 }))),
    'auth.invalid_token',
  );
  // Ten years ahead, the forged token of the finding.
  t.is(
    await codeOf(service.verify(await signed({ iat: now, exp: now + 10 * 365 * 24 * 3600 }))),
    'auth.invalid_token',
  );
  for (const iat of ['yesterday', null, Number.NaN]) {
    t.is(await codeOf(service.verify(await signed({ iat }))), 'auth.invalid_token', String(iat));
  }
});

test('the algorithm must be the one the key was made for', async (t) => {
  const { service, current } = await setup('EdDSA');
  const token = (await service.issue({ userId: USER_ID, sessionId: SESSION_ID })).token;
  const [, payload, signature] = token.split('.');
  const relabel = (alg: string) =>
    `${Buffer.from(JSON.stringify({ alg, kid: current.kid, typ: 'at+jwt' })).toString('base64url')}.${payload}.${signature}`;
  t.is(await codeOf(service.verify(relabel('ES256'))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(relabel('none'))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(relabel('HS256'))), 'auth.invalid_token');
  const noKid = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt' })).toString('base64url')}.${payload}.${signature}`;
  t.is(await codeOf(service.verify(noKid)), 'auth.invalid_token');
});

test('after a rotation, tokens of the previous key still verify and new ones use the new key', async (t) => {
  const { service, current, replaceKeys } = await setup();
  const before = (await service.issue({ userId: USER_ID, sessionId: SESSION_ID })).token;
  const next = await generateKeyEntry('current');
  replaceKeys(await parseKeySet({ keys: [{ ...current, state: 'previous' }, next] }));
  t.is(await codeOf(service.verify(before)), 'accepted');
  const after = (await service.issue({ userId: USER_ID, sessionId: SESSION_ID })).token;
  t.is(jose.decodeProtectedHeader(after).kid, next.kid);
  replaceKeys(await parseKeySet({ keys: [next] }));
  t.is(await codeOf(service.verify(before)), 'auth.invalid_token');
  t.is(await codeOf(service.verify(after)), 'accepted');
});
