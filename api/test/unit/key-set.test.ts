import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  generateKeyEntry,
  KeySetError,
  parseKeySet,
  parseKeySetText,
  readKeySetText,
} from '../../src/domain/tokens/key-set.js';

test('a key set publishes every key and signs with the current one', async (t) => {
  const keys = [
    await generateKeyEntry('next'),
    await generateKeyEntry('current', 'ES256'),
    await generateKeyEntry('previous'),
  ];
  const keySet = await parseKeySet({ keys });
  t.is(keySet.current.kid, keys[1]?.kid as string);
  t.is(keySet.current.alg, 'ES256');
  t.is(keySet.jwks.keys.length, 3);
  for (const jwk of keySet.jwks.keys) {
    t.false('d' in jwk, 'no private part is published');
    t.is(jwk.use, 'sig');
  }
});

test('invalid key sets are refused with the reason', async (t) => {
  const current = await generateKeyEntry('current');
  const previous = await generateKeyEntry('previous');
  const cases: Array<[unknown, RegExp]> = [
    [{}, /keys/],
    [{ keys: [] }, /keys/],
    [{ keys: [previous] }, /exactly one current key, found 0/],
    [{ keys: [current, { ...previous, state: 'current' }] }, /exactly one current key, found 2/],
    [{ keys: [current, { ...previous, kid: current.kid }] }, /unique/],
    [{ keys: [{ ...current, d: undefined }] }, /keys\.0\.d/],
    [{ keys: [{ ...current, alg: 'ES256' }] }, /alg does not match/],
    [{ keys: [{ ...current, alg: 'HS256' }] }, /keys\.0\.alg/],
    [{ keys: [{ ...current, state: 'retired' }] }, /keys\.0\.state/],
    [{ keys: [{ ...current, x: 'AAAA' }] }, /could not be imported/],
  ];
  for (const [document, reason] of cases) {
    const error = await t.throwsAsync(parseKeySet(document), { instanceOf: KeySetError });
    t.regex(error?.message ?? '', reason, JSON.stringify(document).slice(0, 80));
  }
});

const readKeySetFile = async (path: string) => parseKeySetText(await readKeySetText(path), path);

test('the key-set file is read and its problems named', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'skeleton-keys-'));
  const good = join(folder, 'keys.json');
  await writeFile(good, JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  t.truthy((await readKeySetFile(good)).current);

  const broken = join(folder, 'broken.json');
  await writeFile(broken, '{"keys": [');
  await t.throwsAsync(readKeySetFile(broken), { instanceOf: KeySetError, message: /not valid JSON/ });
  await t.throwsAsync(readKeySetFile(join(folder, 'missing.json')), {
    instanceOf: KeySetError,
    message: /ENOENT/,
  });
});
