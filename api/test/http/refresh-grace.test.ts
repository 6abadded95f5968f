import { createDecipheriv, hkdfSync } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { type SignedIn, signUpAndIn } from '../support/accounts.js';
import { type ApiResponse, apiOnFreshDatabase } from '../support/api-server.js';
import { testClock } from '../support/clock.js';
import { collectLogLines } from '../support/log-lines.js';

// The grace window answers a rotated refresh token with its successor pair; these tests hold it to
// the narrow case it exists for (one client racing itself) and to nothing more.
const time = testClock();
const logs = collectLogLines();
const suite = apiOnFreshDatabase(
  // One trusted proxy hop, so each request can say which address it comes from.
  { TRUST_PROXY_HOPS: '1', LOG_LEVEL: 'info' },
  { clock: time.clock, logDestination: logs.destination, validateResponses: true },
);

interface Client {
  'user-agent': string;
  'x-forwarded-for': string;
}

const laptop: Client = { 'user-agent': 'laptop browser', 'x-forwarded-for': '203.0.113.7' };

const refresh = (refreshToken: string, client: Client = laptop) =>
  suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken }, headers: { ...client } });

const logout = (refreshToken: string, client: Client = laptop) =>
  suite.api.request('POST', '/api/v1/auth/logout', { json: { refreshToken }, headers: { ...client } });

const me = async (accessToken: string) =>
  (await suite.api.request('GET', '/api/v1/users/me', { token: accessToken })).status;

const sessionOf = (user: SignedIn) =>
  suite.api.runtime.database.knex('sessions').where('user_id', user.userId).first();

const sealedSuccessors = async (user: SignedIn) => {
  const session = await sessionOf(user);
  return suite.api.runtime.database
    .knex('refresh_tokens')
    .where('session_id', session.id)
    .whereNotNull('successor_sealed')
    .count({ count: '*' })
    .then((rows) => Number(rows[0]?.count));
};

const authEventCount = async (event: string) => {
  const text = await suite.api.runtime.metrics.registry.metrics();
  const count = new RegExp(`auth_events_total\\{event="${event}"} (\\d+)`).exec(text)?.[1];
  if (count === undefined) throw new Error(`auth_events_total has no series for ${event}`);
  return Number(count);
};

/** Rotates the login token once; returns the parent and what it rotated into. */
const rotatedOnce = async (client: Client = laptop) => {
  const user = await signUpAndIn(suite.api);
  const rotated = await refresh(user.refreshToken, client);
  if (rotated.status !== 200) throw new Error(`refresh failed: ${JSON.stringify(rotated.body)}`);
  return { user, successor: rotated.body.data };
};

/** The replay was answered as reuse, and the session it came from is over. */
const assertReuse = async (
  t: ExecutionContext,
  replay: ApiResponse,
  user: SignedIn,
  live: { accessToken: string; refreshToken: string },
) => {
  t.is(replay.status, 401);
  t.is(replay.body.code, 'auth.refresh_token_reused');
  t.is((await refresh(live.refreshToken)).status, 401, 'the live refresh token is dead');
  t.is(await me(live.accessToken), 401, 'the live access token is dead');
  t.is((await sessionOf(user)).revoked_reason, 'reuse_detected');
};

const replayOfOneRotationIsReuse = test.macro(
  async (t, { client = laptop, secondsLater = 0 }: { client?: Client; secondsLater?: number }) => {
    const { user, successor } = await rotatedOnce();
    time.advance(secondsLater);
    await assertReuse(t, await refresh(user.refreshToken, client), user, successor);
  },
);

test.serial('within the window the same client gets the same pair back, logged and counted', async (t) => {
  const { user, successor } = await rotatedOnce();
  const before = await authEventCount('refresh_grace');
  time.advance(2);

  const replay = await refresh(user.refreshToken);
  t.is(replay.status, 200);
  t.deepEqual(replay.body.data, successor);
  t.is(await authEventCount('refresh_grace'), before + 1);
  const session = await sessionOf(user);
  const line = logs
    .parsed()
    .find((entry) => entry.audit && entry.code === 'grace' && entry.sessionId === session.id);
  t.like(line, { event: 'refresh', outcome: 'success', userId: user.userId, ip: laptop['x-forwarded-for'] });
  t.false(JSON.stringify(line).includes(successor.refreshToken), 'no token in the log line');
});

test.serial('an old token cannot walk the chain to the live pair', async (t) => {
  const user = await signUpAndIn(suite.api);
  const second = (await refresh(user.refreshToken)).body.data;
  const third = (await refresh(second.refreshToken)).body.data;

  // The holder of the first token, even from the very same client, gets no pair: its successor is used.
  await assertReuse(t, await refresh(user.refreshToken), user, third);
});

test.serial('a replay from another user agent within the window is reuse', replayOfOneRotationIsReuse, {
  client: { ...laptop, 'user-agent': 'curl/8.5.0' },
});

test.serial('a replay from another address within the window is reuse', replayOfOneRotationIsReuse, {
  client: { ...laptop, 'x-forwarded-for': '198.51.100.23' },
});

test.serial('the window lasts seconds, not ten', replayOfOneRotationIsReuse, { secondsLater: 4 });

test.serial('reuse is logged with the session, the user and the reason', async (t) => {
  const { user } = await rotatedOnce();
  time.advance(4);
  await refresh(user.refreshToken);
  const session = await sessionOf(user);
  const line = logs
    .parsed()
    .find(
      (entry) => entry.audit && entry.code === 'auth.refresh_token_reused' && entry.sessionId === session.id,
    );
  t.like(line, { event: 'refresh', outcome: 'failure', userId: user.userId, reason: 'outside_window' });
});

test.serial('sealed successors are cleared once their window has closed', async (t) => {
  const { user, successor } = await rotatedOnce();
  t.is(await sealedSuccessors(user), 1);
  time.advance(4);
  const third = (await refresh(successor.refreshToken)).body.data;
  t.is(await sealedSuccessors(user), 1, "the first token's seal is gone once its successor is used");

  t.is((await logout(third.refreshToken)).status, 200);
  t.is(await sealedSuccessors(user), 0, 'an ended session keeps no seal');

  const replayed = await rotatedOnce();
  time.advance(4);
  await refresh(replayed.user.refreshToken);
  t.is(await sealedSuccessors(replayed.user), 0, 'a session ended for reuse keeps no seal');
});

/** What anyone can compute from a database row and the token alone, were the seal keyed by the token only. */
const openWithTokenOnly = (token: string, sealed: string) => {
  const key = Buffer.from(hkdfSync('sha256', token, 'skeleton.refresh', 'successor-seal', 32));
  for (const text of [sealed, sealed.slice(sealed.lastIndexOf('.') + 1)]) {
    try {
      const bytes = Buffer.from(text, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // Not this layout either.
    }
  }
  return undefined;
};

test.serial('a database row and the old token do not open the sealed successor', async (t) => {
  const { user, successor } = await rotatedOnce();
  const session = await sessionOf(user);
  const row = await suite.api.runtime.database
    .knex('refresh_tokens')
    .where('session_id', session.id)
    .whereNotNull('successor_sealed')
    .first();
  t.truthy(row.successor_sealed);
  t.false(row.successor_sealed.includes(successor.refreshToken));
  t.is(openWithTokenOnly(user.refreshToken, row.successor_sealed), undefined);
});

test.serial('logout with an already rotated token leaves the live session alone', async (t) => {
  const { user, successor } = await rotatedOnce();
  time.advance(4);
  const stale = await logout(user.refreshToken);
  t.is(stale.status, 200);
  t.is(stale.body.data, null);
  t.is(await me(successor.accessToken), 200);
  t.is((await sessionOf(user)).revoked_at, null);
  const next = await refresh(successor.refreshToken);
  t.is(next.status, 200);

  // The live token still ends it.
  t.is((await logout(next.body.data.refreshToken)).status, 200);
  t.is(await me(next.body.data.accessToken), 401);
});
