import test from 'ava';
import { keySetSecret, readKeySetSecret, type StoredSecret } from '../src/keys/key-set-secret.js';
import { generateSigningKey } from '../src/keys/signing-key.js';

const APP = { name: 'accounts', namespace: 'identity', uid: 'uid-1', image: 'api:1' };
const NOW = new Date('2026-12-01T00:00:00Z');

const secret = () =>
  keySetSecret(
    APP,
    { keys: [{ ...generateSigningKey('current', NOW), activatedAt: NOW.toISOString() }] },
    'request-1',
  ) as StoredSecret;

test('the same Secret object is read once: a second read answers with the first answer', (t) => {
  const stored = secret();
  const first = readKeySetSecret(stored);
  t.truthy(first.document);
  t.is(first.handledRequest, 'request-1');
  t.is(readKeySetSecret(stored), first);
});

test('another object, even with the same content, is read on its own', (t) => {
  const stored = secret();
  const copy = structuredClone(stored);
  t.not(readKeySetSecret(copy), readKeySetSecret(stored));
  t.deepEqual(readKeySetSecret(copy), readKeySetSecret(stored));
});

test('no Secret and an unreadable one read as having no key set', (t) => {
  t.deepEqual(readKeySetSecret(undefined), { document: undefined, handledRequest: undefined });
  t.deepEqual(readKeySetSecret({ data: { 'keys.json': Buffer.from('{"keys":[]}').toString('base64') } }), {
    document: undefined,
    handledRequest: undefined,
  });
});
