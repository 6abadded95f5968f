import test from 'ava';
import { UserRow } from '../../src/db/models.js';
import { PrincipalCache } from '../../src/services/principal-cache.js';
import { parseInvalidation } from '../../src/services/user-invalidations.js';

const user = (id: string) => UserRow.fromJson({ id, role: 'user' });
const cache = (ttlSeconds = 10, maxEntries = 100) => new PrincipalCache({ ttlSeconds, maxEntries });
const FAR = new Date(10_000_000);

test('a stored principal is answered for its session and user until the TTL', (t) => {
  const principals = cache(10);
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u1', 9_999)?.id, 'u1');
  t.is(principals.get('s1', 'u1', 10_000), undefined);
  t.is(principals.size, 0, 'an expired entry is dropped');
});

test('the session expiry ends an entry before its TTL', (t) => {
  const principals = cache(10);
  principals.store(principals.ticket(), 's1', user('u1'), new Date(3_000), 0);
  t.truthy(principals.get('s1', 'u1', 2_999));
  t.is(principals.get('s1', 'u1', 3_000), undefined);
});

test('an entry answers only for the user it was stored for', (t) => {
  const principals = cache();
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u2', 1), undefined);
});

test('forgetting a user drops every session of theirs and nobody else', (t) => {
  const principals = cache();
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  principals.store(principals.ticket(), 's2', user('u1'), FAR, 0);
  principals.store(principals.ticket(), 's3', user('u2'), FAR, 0);
  principals.forgetUsers(['u1']);
  t.is(principals.get('s1', 'u1', 1), undefined);
  t.is(principals.get('s2', 'u1', 1), undefined);
  t.truthy(principals.get('s3', 'u2', 1));
});

test('a read that began before an invalidation of its user stores nothing', (t) => {
  const principals = cache();
  const early = principals.ticket();
  principals.forgetUsers(['u1']);
  principals.store(early, 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u1', 1), undefined, 'what it read may predate the change');
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  t.truthy(principals.get('s1', 'u1', 1), 'a read begun after the change may store');
});

test('an invalidation of another user does not stop a store', (t) => {
  const principals = cache();
  const ticket = principals.ticket();
  principals.forgetUsers(['u2']);
  principals.store(ticket, 's1', user('u1'), FAR, 0);
  t.truthy(principals.get('s1', 'u1', 1));
});

test('past the bound of remembered invalidations, every older read is refused', (t) => {
  const principals = cache(10, 2);
  const early = principals.ticket();
  principals.forgetUsers(['a', 'b', 'c']);
  principals.store(early, 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u1', 1), undefined);
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  t.truthy(principals.get('s1', 'u1', 1));
});

test('while not usable nothing is answered or stored, and what was held is gone', (t) => {
  const principals = cache();
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  const during = principals.ticket();
  principals.setUsable(false);
  t.false(principals.enabled);
  t.is(principals.get('s1', 'u1', 1), undefined);
  principals.store(principals.ticket(), 's2', user('u2'), FAR, 0);
  principals.setUsable(true);
  t.is(principals.size, 0);
  principals.store(during, 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u1', 1), undefined, 'a read from before the outage stores nothing');
});

test('a TTL of 0 turns the cache off', (t) => {
  const principals = cache(0);
  t.false(principals.enabled);
  principals.store(principals.ticket(), 's1', user('u1'), FAR, 0);
  t.is(principals.get('s1', 'u1', 1), undefined);
});

test('beyond its bound the oldest entry goes first', (t) => {
  const principals = cache(10, 2);
  for (const session of ['s1', 's2', 's3'])
    principals.store(principals.ticket(), session, user('u1'), FAR, 0);
  t.is(principals.size, 2);
  t.is(principals.get('s1', 'u1', 1), undefined);
  t.truthy(principals.get('s3', 'u1', 1));
  principals.forgetUsers(['u1']);
  t.is(principals.size, 0);
});

test('invalidation messages carry user ids; anything else is ignored', (t) => {
  t.deepEqual(parseInvalidation('["u1","u2"]'), ['u1', 'u2']);
  for (const message of ['', 'u1', '{"u1":1}', '[1]', 'null'])
    t.is(parseInvalidation(message), undefined, message);
});
