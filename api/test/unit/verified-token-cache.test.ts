import test from 'ava';
import { generateKeyEntry, type KeySet, parseKeySet } from '../../src/domain/tokens/key-set.js';
import { VerifiedTokenCache } from '../../src/domain/tokens/verified-token-cache.js';

const keySet = async (): Promise<KeySet> => parseKeySet({ keys: [await generateKeyEntry('current')] });

test('a verdict is kept until the token expires', async (t) => {
  const keys = await keySet();
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', keys, 'claims', 1_000);
  t.is(cache.get('token', keys, 999), 'claims');
  t.is(cache.get('token', keys, 1_000), undefined);
  t.is(cache.get('token', keys, 500), undefined, 'an expired entry is gone for good');
});

test('a new key set forgets every verdict', async (t) => {
  const [before, after] = [await keySet(), await keySet()];
  const cache = new VerifiedTokenCache<string>();
  cache.set('token', before, 'claims', 1_000);
  t.is(cache.get('token', after, 0), undefined);
  t.is(cache.get('token', before, 0), undefined);
});

test('when full, the least recently used verdict goes first', async (t) => {
  const keys = await keySet();
  const cache = new VerifiedTokenCache<string>(2);
  cache.set('a', keys, 'A', 1_000);
  cache.set('b', keys, 'B', 1_000);
  t.is(cache.get('a', keys, 0), 'A');
  cache.set('c', keys, 'C', 1_000);
  t.is(cache.get('b', keys, 0), undefined);
  t.is(cache.get('a', keys, 0), 'A');
  t.is(cache.get('c', keys, 0), 'C');
});
