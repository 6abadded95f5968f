import test from 'ava';
import * as jose from 'jose';
import { AccessTokenService } from '../../src/domain/tokens/access-tokens.js';
import { generateKeyEntry, type KeySet, parseKeySet } from '../../src/domain/tokens/key-set.js';
import { testClock } from '../support/clock.js';
import { codeOf } from '../support/outcome.js';

const settings = { issuer: 'https://issuer.test', audience: 'skeleton-api', ttlSeconds: 900 };

async function setup(alg: 'EdDSA' | 'ES256' = 'EdDSA') {
  const current = await generateKeyEntry('current', alg);
  let keySet = await parseKeySet({ keys: [current] });
  const time = testClock(new Date('2026-01-01T00:00:00Z'));
  const service = new AccessTokenService(() => keySet, settings, time.clock);
  return { service, time, current, replaceKeys: (next: KeySet) => (keySet = next) };
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  test(`${alg}: a token verifies until it expires, by the injected clock`, async (t) => {
    const { service, time, current } = await setup(alg);
    const { token, expiresIn } = await service.issue({ userId: 'user-1', sessionId: 'session-1' });
    t.is(expiresIn, 900);
    const header = jose.decodeProtectedHeader(token);
    t.deepEqual(header, { alg, kid: current.kid, typ: 'at+jwt' });
    const claims = jose.decodeJwt(token);
    t.like(claims, { iss: settings.issuer, aud: settings.audience, sub: 'user-1', sid: 'session-1' });
    t.is((claims.exp ?? 0) - (claims.iat ?? 0), 900);
    t.truthy(claims.jti);

    t.deepEqual(await service.verify(token), { userId: 'user-1', sessionId: 'session-1' });
    time.advance(899);
    t.deepEqual(await service.verify(token), { userId: 'user-1', sessionId: 'session-1' });
    time.advance(2);
    t.is(await codeOf(service.verify(token)), 'auth.token_expired');
  });
}

test('issuer, audience and type are pinned', async (t) => {
  const { service, time, current } = await setup();
  const key = (await jose.importJWK(current, 'EdDSA')) as jose.CryptoKey;
  const now = Math.floor(time.clock().getTime() / 1000);
  const sign = (claims: jose.JWTPayload, typ = 'at+jwt') =>
    new jose.SignJWT({
      sid: 's',
      sub: 'u',
      iss: settings.issuer,
      aud: settings.audience,
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: current.kid, typ })
      .sign(key);
  t.is(await codeOf(service.verify(await sign({}))), 'accepted');
  t.is(await codeOf(service.verify(await sign({ iss: 'https://evil.test' }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await sign({ aud: 'another-api' }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await sign({}, 'JWT'))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await sign({ sid: undefined }))), 'auth.invalid_token');
  t.is(await codeOf(service.verify(await sign({ nbf: now + 600 }))), 'auth.invalid_token');
});

test('the algorithm must be the one the key was made for', async (t) => {
  const { service, current } = await setup('EdDSA');
  const token = (await service.issue({ userId: 'u', sessionId: 's' })).token;
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
  const before = (await service.issue({ userId: 'u', sessionId: 's' })).token;
  const next = await generateKeyEntry('current');
  replaceKeys(await parseKeySet({ keys: [{ ...current, state: 'previous' }, next] }));
  t.is(await codeOf(service.verify(before)), 'accepted');
  const after = (await service.issue({ userId: 'u', sessionId: 's' })).token;
  t.is(jose.decodeProtectedHeader(after).kid, next.kid);
  replaceKeys(await parseKeySet({ keys: [next] }));
  t.is(await codeOf(service.verify(before)), 'auth.invalid_token');
  t.is(await codeOf(service.verify(after)), 'accepted');
});
