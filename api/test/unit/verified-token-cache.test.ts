import test from 'ava';
import { generateKeyEntry, type KeySet, parseKeySet } from '../../src/domain/tokens/key-set.js';
import { VerifiedTokenCache } from '../../src/domain/tokens/verified-token-cache.js';

const keySet = async (): Promise<KeySet> => parseKeySet({ keys: [await generateKeyEntry('current')] });

test('a verdict is kept until the token expires', async (t) => {
  const keys = await keySet();
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', keys, keys.current, 'claims', 1_000);
  t.is(cache.get('token', keys, 999), 'claims');
  t.is(cache.get('token', keys, 1_000), undefined);
  t.is(cache.get('token', keys, 500), undefined, 'an expired entry is gone for good');
});

test('a key set without the key forgets its verdicts', async (t) => {
  const [before, after] = [await keySet(), await keySet()];
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', before, before.current, 'claims', 1_000);
  t.is(cache.get('token', after, 0), undefined);
  t.is(cache.get('token', before, 0), undefined, 'dropped, not hidden');
});

test('a key set that still holds the key keeps its verdicts, whatever its state', async (t) => {
  const old = await generateKeyEntry('current');
  const before = await parseKeySet({ keys: [old] });
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', before, before.current, 'claims', 1_000);
  const rotated = await parseKeySet({
    keys: [{ ...old, state: 'previous' }, await generateKeyEntry('current')],
  });
  t.is(cache.get('token', rotated, 0), 'claims');
  const reparsed = await parseKeySet({ keys: [old] });
  t.is(cache.get('token', reparsed, 0), 'claims', 'the same key read again is the same key');
});

test('a kid that comes back with other key material does not vouch for old verdicts', async (t) => {
  const old = await generateKeyEntry('current');
  const before = await parseKeySet({ keys: [old] });
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', before, before.current, 'claims', 1_000);
  const impostor = await parseKeySet({ keys: [{ ...(await generateKeyEntry('current')), kid: old.kid }] });
  t.is(cache.get('token', impostor, 0), undefined);
});

test('a verdict reached with the old set after a reload is dropped once the new set is seen', async (t) => {
  const [before, after] = [await keySet(), await keySet()];
  const cache = new VerifiedTokenCache<string>();
  t.is(cache.get('late', before, 0), undefined);
  t.is(cache.get('other', after, 0), undefined);
  cache.set('late', before, before.current, 'claims', 1_000);
  t.is(cache.get('late', after, 0), undefined);
});

test('when full, the least recently used verdict goes first', async (t) => {
  const keys = await keySet();
  const cache = new VerifiedTokenCache<string>(2);
  cache.set('a', keys, keys.current, 'A', 1_000);
  cache.set('b', keys, keys.current, 'B', 1_000);
  t.is(cache.get('a', keys, 0), 'A');
  cache.set('c', keys, keys.current, 'C', 1_000);
  t.is(cache.get('b', keys, 0), undefined);
  t.is(cache.get('a', keys, 0), 'A');
  t.is(cache.get('c', keys, 0), 'C');
});
