import { randomUUID } from 'node:crypto';
import test from 'ava';
import { logIn, type SignedIn, signUpAndIn } from '../support/accounts.js';
import type { TestApi } from '../support/api-server.js';
import { instancesOnCuttableRedis } from '../support/cuttable-redis.js';
import { eventually } from '../support/eventually.js';

/**
 * Two instances share a database and, through a proxy the test cuts, one Redis. Each remembers
 * the principals it has looked up; a change on one must stop tokens on the other.
 */
const suite = instancesOnCuttableRedis(`skeleton-revocation-${randomUUID()}:`, {}, {});

/** A bound the pub/sub round trip (about a millisecond) meets with room on a loaded machine. */
const PROPAGATION_BOUND_MS = 1_000;

async function lookups(api: TestApi, result: 'hit' | 'miss' | 'bypass'): Promise<number> {
  const text = await api.runtime.metrics.registry.metrics();
  return Number(new RegExp(`principal_lookups_total\\{result="${result}"} (\\d+)`).exec(text)?.[1]);
}

const me = (api: TestApi, user: SignedIn) =>
  api.request('GET', '/api/v1/users/me', { token: user.accessToken });

/** Until the instance answers this user from memory: it has subscribed and stored the principal. */
async function cachedOn(api: TestApi, user: SignedIn): Promise<void> {
  await eventually(async () => {
    const before = await lookups(api, 'hit');
    t200(await me(api, user));
    return (await lookups(api, 'hit')) > before ? true : undefined;
  }, 'the principal is answered from memory');
}

function t200(response: { status: number }): void {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
}

/** How long after `since` the instance first refuses the token; undefined if it never did. */
async function refusedAfter(api: TestApi, user: SignedIn, since: number): Promise<number> {
  return eventually(
    async () => ((await me(api, user)).status === 401 ? performance.now() - since : undefined),
    'refused',
  );
}

test.serial(
  'a session ended on one instance is refused at once there and within the bound on the other',
  async (t) => {
    const [a, b] = suite.instances;
    const user = await signUpAndIn(a);
    await cachedOn(a, user);
    await cachedOn(b, user);

    const loggedOut = await a.request('POST', '/api/v1/auth/logout', {
      json: { refreshToken: user.refreshToken },
    });
    t.is(loggedOut.status, 200);
    const endedAt = performance.now();
    t.is((await me(a, user)).status, 401, 'the instance that ended it refuses at once');
    const elapsed = await refusedAfter(b, user, endedAt);
    t.log(`the other instance refused the token ${elapsed.toFixed(1)} ms after the logout answered`);
    t.true(elapsed < PROPAGATION_BOUND_MS, `${elapsed} ms`);
  },
);

test.serial(
  'a password change on one instance ends the other sessions on both, and a rename shows on both',
  async (t) => {
    const [a, b] = suite.instances;
    const user = await signUpAndIn(a);
    const other = await logIn(b, user.email);
    await cachedOn(a, other);
    await cachedOn(b, other);
    await cachedOn(b, user);

    t.is(
      (await a.request('PATCH', '/api/v1/users/me', { token: user.accessToken, json: { name: 'Renamed' } }))
        .status,
      200,
    );
    const renamedAt = performance.now();
    await eventually(
      async () => ((await me(b, user)).body?.data?.user?.name === 'Renamed' ? true : undefined),
      'renamed on b',
    );
    t.true(performance.now() - renamedAt < PROPAGATION_BOUND_MS);

    const changed = await a.request('PUT', '/api/v1/users/me/password', {
      token: user.accessToken,
      json: { currentPassword: user.password, newPassword: 'another long passphrase' },
    });
    t.is(changed.status, 200);
    const changedAt = performance.now();
    t.is((await me(a, other)).status, 401);
    t.true((await refusedAfter(b, other, changedAt)) < PROPAGATION_BOUND_MS);
    t.is((await me(b, user)).status, 200, 'the session that changed it stays');
  },
);

test.serial(
  'while Redis is cut nothing is answered from memory, so an ended session is refused at once everywhere',
  async (t) => {
    const [a, b] = suite.instances;
    const user = await signUpAndIn(a);
    await cachedOn(b, user);

    suite.proxy.cut();
    try {
      // The instance notices the dropped subscription and stops trusting its memory.
      await eventually(async () => {
        const before = await lookups(b, 'bypass');
        t200(await me(b, user));
        return (await lookups(b, 'bypass')) > before ? true : undefined;
      }, 'lookups bypass the cache');
      t.is(
        (await a.request('POST', '/api/v1/auth/logout', { json: { refreshToken: user.refreshToken } }))
          .status,
        200,
      );
      t.is((await me(b, user)).status, 401, 'refused at once, from the database');
    } finally {
      suite.proxy.restore();
    }

    const again = await signUpAndIn(a);
    await cachedOn(b, again);
    // Once Redis is back, principals are remembered again: answered from memory, not the database.
    const [hits, bypasses] = [await lookups(b, 'hit'), await lookups(b, 'bypass')];
    t.is((await me(b, again)).status, 200);
    t.is(await lookups(b, 'hit'), hits + 1);
    t.is(await lookups(b, 'bypass'), bypasses);
  },
);
