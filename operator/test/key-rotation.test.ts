import test, { type ExecutionContext } from 'ava';
import { parseDuration } from '../src/keys/duration.js';
import {
  type KeySetDocument,
  parseStoredKeySet,
  planKeyRotation,
  type RotationPlan,
  type RotationPolicy,
  rotationPolicy,
  type StoredKey,
} from '../src/keys/key-rotation.js';
import { generateSigningKey } from '../src/keys/signing-key.js';
import { keyTimestamp } from '../src/keys/timestamp.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const SPEC_JWT = { rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '1h' };
const TIMING = { propagationDelayMs: 2 * MINUTE, clockSkewMs: MINUTE, jwksCacheMs: 5 * MINUTE };
const POLICY = rotationPolicy(SPEC_JWT, TIMING);

/**
 * Real keys, generated once and handed out in order, so that two runs of the planner (one of them
 * restarted) are given the same keys and their documents can be compared.
 */
const pool: StoredKey[] = [];
function keyFactory(start = 0) {
  let used = start;
  return {
    used: () => used,
    generate(state: 'next' | 'current', now: Date): StoredKey {
      while (pool.length <= used) pool.push(generateSigningKey('next', T0));
      const key = pool[used++] as StoredKey;
      return { ...key, state, createdAt: keyTimestamp(now) };
    },
  };
}

interface Call {
  now: Date;
  plan: RotationPlan;
}

interface Run {
  calls: Call[];
  stored?: KeySetDocument;
}

/**
 * The reconciler as far as keys go: it applies each plan, calls again at nextActionAt (or at the
 * next resync, or when a rotation is requested), and passes a request until a plan honours it.
 */
function run(options: {
  stored?: KeySetDocument;
  from: Date;
  until: Date;
  policy?: RotationPolicy;
  generate: (state: 'next' | 'current', now: Date) => StoredKey;
  resyncMs?: number;
  requestsAt?: Date[];
}): Run {
  const { from, until, policy = POLICY, generate, resyncMs = Number.POSITIVE_INFINITY } = options;
  const requests = (options.requestsAt ?? []).map((request) => request.getTime()).sort((a, b) => a - b);
  let stored = options.stored;
  let requested = false;
  const calls: Call[] = [];
  let now = from.getTime();
  while (now <= until.getTime()) {
    while (requests.length && (requests[0] as number) <= now) {
      requests.shift();
      requested = true;
    }
    const plan = planKeyRotation({
      stored,
      now: new Date(now),
      policy,
      rotationRequested: requested,
      generate,
    });
    calls.push({ now: new Date(now), plan });
    if (plan.changed) stored = plan.document;
    if (plan.action === 'published-next' || plan.action === 'created') requested = false;
    assertProgress(plan, now);
    now = Math.min(plan.nextActionAt.getTime(), now + resyncMs, requests[0] ?? Number.POSITIVE_INFINITY);
    if (calls.length > 10_000) throw new Error('the planner does not settle');
  }
  return { calls, stored };
}

/** A plan due again at once must have done something, or the reconciler would spin. */
function assertProgress(plan: RotationPlan, now: number): void {
  if (plan.nextActionAt.getTime() < now) throw new Error('nextActionAt is in the past');
  if (plan.nextActionAt.getTime() === now && !plan.changed) throw new Error('due now, yet nothing changed');
}

/** One call of the planner under the default policy. */
function planAt(
  stored: KeySetDocument | undefined,
  now: Date,
  { requested = false, factory = keyFactory() } = {},
) {
  return planKeyRotation({
    stored,
    now,
    policy: POLICY,
    rotationRequested: requested,
    generate: factory.generate,
  });
}

const steps = (calls: Call[]) =>
  calls
    .filter((call) => call.plan.action !== 'none')
    .map((call) => ({ at: call.now.toISOString(), action: call.plan.action }));

const json = (value: unknown) => JSON.parse(JSON.stringify(value));
const restart = (document: KeySetDocument) => parseStoredKeySet(JSON.stringify(document));

test('the policy takes the spec durations and the waits of propagation and caches', (t) => {
  t.deepEqual(POLICY, {
    rotationIntervalMs: 720 * HOUR,
    propagationDelayMs: 7 * MINUTE,
    retentionMs: HOUR,
  });
});

test('retention never falls below propagation + accessTokenTTL + clock skew + JWKS cache', (t) => {
  const policy = rotationPolicy({ ...SPEC_JWT, previousKeyRetention: '5m' }, TIMING);
  t.is(policy.retentionMs, (2 + 15 + 1 + 5) * MINUTE);
  t.throws(() => rotationPolicy({ ...SPEC_JWT, accessTokenTTL: '15 minutes' }, TIMING), {
    message: /invalid duration "15 minutes"/,
  });
});

test('no document: one current key, activated now, rotated after the interval', (t) => {
  const plan = planAt(undefined, T0);
  t.like(plan, { action: 'created', changed: true, lastRotationTime: '2025-01-01T00:00:00Z' });
  t.is(plan.document.keys.length, 1);
  t.like(plan.document.keys[0], {
    kid: plan.currentKid,
    state: 'current',
    createdAt: '2025-01-01T00:00:00Z',
    activatedAt: '2025-01-01T00:00:00Z',
  });
  t.deepEqual(plan.nextActionAt, at(720 * HOUR));
});

test('a new key set honours a rotation request: it is as fresh as a rotation would make it', (t) => {
  const plan = planAt(undefined, T0, { requested: true });
  t.is(plan.action, 'created');
  t.deepEqual(plan.nextActionAt, at(720 * HOUR));
});

test('two full rotations: publish at the interval, promote after propagation, retire after retention', (t) => {
  const factory = keyFactory();
  const { calls } = run({ from: T0, until: at(1500 * HOUR), generate: factory.generate });
  const r1 = 720 * HOUR;
  const r2 = r1 + 7 * MINUTE + 720 * HOUR;
  t.deepEqual(steps(calls), [
    { at: at(0).toISOString(), action: 'created' },
    { at: at(r1).toISOString(), action: 'published-next' },
    { at: at(r1 + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: at(r1 + 7 * MINUTE + HOUR).toISOString(), action: 'retired-previous' },
    { at: at(r2).toISOString(), action: 'published-next' },
    { at: at(r2 + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: at(r2 + 7 * MINUTE + HOUR).toISOString(), action: 'retired-previous' },
  ]);
  t.true(
    calls.every((call) => call.plan.action !== 'none' || !call.plan.changed),
    'no write without a step',
  );

  const [first, second, third] = [0, 1, 2].map((index) => (pool[index] as StoredKey).kid) as [
    string,
    string,
    string,
  ];
  const byAction = (index: number) =>
    calls.filter((call) => call.plan.action !== 'none')[index]?.plan as RotationPlan;
  t.deepEqual(
    byAction(1).document.keys.map((key) => [key.kid, key.state]),
    [
      [first, 'current'],
      [second, 'next'],
    ],
  );
  t.is(byAction(1).currentKid, first, 'a published key only verifies');
  t.deepEqual(byAction(1).nextActionAt, at(r1 + 7 * MINUTE));

  const promoted = byAction(2);
  t.is(promoted.currentKid, second);
  t.is(
    promoted.lastRotationTime,
    at(r1 + 7 * MINUTE)
      .toISOString()
      .replace('.000Z', 'Z'),
  );
  t.like(promoted.document.keys[0], { kid: first, state: 'previous', retiredAt: promoted.lastRotationTime });
  t.like(promoted.document.keys[1], {
    kid: second,
    state: 'current',
    activatedAt: promoted.lastRotationTime,
  });
  t.deepEqual(promoted.nextActionAt, at(r1 + 7 * MINUTE + HOUR));

  const retired = byAction(3);
  t.deepEqual(
    retired.document.keys.map((key) => key.kid),
    [second],
  );
  t.deepEqual(retired.nextActionAt, at(r2), 'the next rotation is measured from the promotion');
  t.deepEqual(
    byAction(4).document.keys.map((key) => [key.kid, key.state]),
    [
      [second, 'current'],
      [third, 'next'],
    ],
  );
  t.is(calls.at(-1)?.plan.currentKid, third);
});

test('between steps nothing changes, and the plan says when the step is due', (t) => {
  const factory = keyFactory();
  const created = planAt(undefined, T0, { factory });
  const later = planAt(created.document, at(719 * HOUR), { factory });
  t.like(later, { action: 'none', changed: false, currentKid: created.currentKid });
  t.deepEqual(later.document, created.document);
  t.deepEqual(later.nextActionAt, at(720 * HOUR));
});

test('a requested rotation publishes at once, then promotes and retires on the usual schedule', (t) => {
  const { calls } = run({ from: T0, until: at(10 * HOUR), requestsAt: [at(3 * HOUR)], ...keyFactory() });
  t.deepEqual(steps(calls), [
    { at: at(0).toISOString(), action: 'created' },
    { at: at(3 * HOUR).toISOString(), action: 'published-next' },
    { at: at(3 * HOUR + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: at(4 * HOUR + 7 * MINUTE).toISOString(), action: 'retired-previous' },
  ]);
  t.deepEqual(calls.at(-1)?.plan.nextActionAt, at(3 * HOUR + 7 * MINUTE + 720 * HOUR));
});

test('a rotation requested while the previous key is pending waits for its retirement', (t) => {
  const factory = keyFactory();
  const requests = [3 * HOUR, 3 * HOUR + 20 * MINUTE];
  const { calls } = run({ from: T0, until: at(10 * HOUR), requestsAt: requests.map(at), ...factory });
  const retiredAt = 3 * HOUR + 7 * MINUTE + HOUR;
  t.deepEqual(steps(calls), [
    { at: at(0).toISOString(), action: 'created' },
    { at: at(3 * HOUR).toISOString(), action: 'published-next' },
    { at: at(3 * HOUR + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: at(retiredAt).toISOString(), action: 'retired-previous' },
    { at: at(retiredAt).toISOString(), action: 'published-next' },
    { at: at(retiredAt + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: at(retiredAt + 7 * MINUTE + HOUR).toISOString(), action: 'retired-previous' },
  ]);
  const waiting = calls.find((call) => call.now.getTime() === at(requests[1] as number).getTime());
  t.like(waiting?.plan, { action: 'none', changed: false });
  t.deepEqual(waiting?.plan.nextActionAt, at(retiredAt), 'the plan says when the request will be honoured');
  const retiring = calls.find((call) => call.plan.action === 'retired-previous');
  t.deepEqual(retiring?.plan.nextActionAt, at(retiredAt), 'due again at once for the waiting request');
});

test('a rotation requested while a next key is pending waits for the whole rotation: never a third key', (t) => {
  const { calls } = run({
    from: T0,
    until: at(10 * HOUR),
    requestsAt: [at(3 * HOUR), at(3 * HOUR + MINUTE)],
    ...keyFactory(),
  });
  t.deepEqual(
    steps(calls).map((step) => step.action),
    [
      'created',
      'published-next',
      'promoted',
      'retired-previous',
      'published-next',
      'promoted',
      'retired-previous',
    ],
  );
  t.true(calls.every((call) => call.plan.document.keys.length <= 2));
});

test('an operator restarted in the middle of any phase carries on exactly as if it had not stopped', (t) => {
  const reference = run({ from: T0, until: at(1500 * HOUR), ...keyFactory() });
  const changes = reference.calls.filter((call) => call.plan.changed);
  const phases = new Set<string>();
  for (const [index, change] of changes.entries()) {
    const following = changes[index + 1];
    if (!following) continue;
    const phase = `after ${change.plan.action} at ${change.now.toISOString()}`;
    // The stopped process had written this step's document; the new one reads the Secret's text.
    const restartAt = new Date((change.now.getTime() + following.now.getTime()) / 2);
    const stored = restart(change.plan.document);
    t.truthy(stored, phase);
    t.deepEqual(json(stored), json(change.plan.document), `${phase}: the Secret holds the whole state`);
    const generated = changes
      .slice(0, index + 1)
      .filter((call) => call.plan.action === 'created' || call.plan.action === 'published-next').length;
    const resumed = run({ stored, from: restartAt, until: at(1500 * HOUR), ...keyFactory(generated) });
    t.like(resumed.calls[0]?.plan, { action: 'none', changed: false }, phase);
    t.deepEqual(resumed.calls[0]?.plan.nextActionAt, following.now, `${phase}: the same deadline`);
    t.deepEqual(
      steps(resumed.calls),
      steps(reference.calls.filter((call) => call.now > restartAt)),
      `${phase}: the same steps at the same times`,
    );
    t.deepEqual(json(resumed.stored), json(reference.stored), `${phase}: the same keys in the end`);
    phases.add(change.plan.action);
  }
  t.deepEqual([...phases].sort(), ['created', 'promoted', 'published-next', 'retired-previous']);
});

test('a step lost before it was written is planned again by the next process', (t) => {
  const factory = keyFactory();
  const created = planAt(undefined, T0, { factory });
  // This process generates a next key and stops before writing the Secret.
  t.is(planAt(created.document, at(720 * HOUR), { factory }).action, 'published-next');
  const stored = restart(created.document);
  const resumed = run({ stored, from: at(721 * HOUR), until: at(722 * HOUR), ...keyFactory(factory.used()) });
  t.deepEqual(steps(resumed.calls), [
    { at: at(721 * HOUR).toISOString(), action: 'published-next' },
    { at: at(721 * HOUR + 7 * MINUTE).toISOString(), action: 'promoted' },
  ]);
  t.is(resumed.stored?.keys.length, 2, 'the lost key was never published, so it is not needed');
});

test('an operator down past a deadline takes the overdue steps one at a time, never early', (t) => {
  const factory = keyFactory();
  const published = run({ from: T0, until: at(720 * HOUR), ...factory });
  t.is(published.calls.at(-1)?.plan.action, 'published-next');
  // Down for three hours: the next key is long past its propagation delay.
  const stored = restart(published.stored as KeySetDocument);
  const resumed = run({ stored, from: at(723 * HOUR), until: at(730 * HOUR), ...keyFactory(factory.used()) });
  t.deepEqual(steps(resumed.calls), [
    { at: at(723 * HOUR).toISOString(), action: 'promoted' },
    { at: at(724 * HOUR).toISOString(), action: 'retired-previous' },
  ]);
});

test('a document with missing or unreadable times is repaired as if they were now', (t) => {
  const [current, previous, next] = [0, 1, 2].map((index) => keyFactory(index).generate('next', T0));
  const text = JSON.stringify({
    keys: [
      { ...current, state: 'current', createdAt: undefined, activatedAt: 'yesterday' },
      { ...previous, state: 'previous', retiredAt: '2025-13-01T00:00:00Z', createdAt: 1234 },
      { ...next, state: 'next', createdAt: '2025-01-01 00:00:00' },
    ],
  });
  const stored = parseStoredKeySet(text);
  t.truthy(stored, 'damaged times do not make the document foreign');
  const now = at(2 * HOUR + 500);
  const plan = planAt(stored, now);
  t.like(plan, { action: 'none', changed: true });
  const nowStamp = '2025-01-01T02:00:01Z';
  t.like(plan.document.keys[0], { state: 'current', createdAt: nowStamp, activatedAt: nowStamp });
  t.like(plan.document.keys[1], { state: 'previous', createdAt: nowStamp, retiredAt: nowStamp });
  t.like(plan.document.keys[2], { state: 'next', createdAt: nowStamp });
  t.is(plan.lastRotationTime, nowStamp);
  t.deepEqual(plan.nextActionAt, new Date(Date.parse(nowStamp) + POLICY.propagationDelayMs));

  // From now on the repaired times are what the steps are measured from.
  const { calls } = run({ stored: plan.document, from: now, until: at(4 * HOUR), ...keyFactory(3) });
  const repairedAt = Date.parse(nowStamp);
  t.deepEqual(steps(calls), [
    { at: new Date(repairedAt + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: new Date(repairedAt + HOUR).toISOString(), action: 'retired-previous' },
    { at: new Date(repairedAt + 7 * MINUTE + HOUR).toISOString(), action: 'retired-previous' },
  ]);
});

test('a key whose creation time alone is unreadable has just that time repaired', (t) => {
  const key = keyFactory().generate('current', T0);
  const stored: KeySetDocument = {
    keys: [{ ...key, createdAt: 'last tuesday', activatedAt: '2025-01-01T00:00:00Z' }],
  };
  const plan = planAt(stored, at(HOUR));
  t.like(plan, { action: 'none', changed: true, lastRotationTime: '2025-01-01T00:00:00Z' });
  t.deepEqual(plan.document.keys[0], { ...stored.keys[0], createdAt: '2025-01-01T01:00:00Z' });
  t.deepEqual(plan.nextActionAt, at(720 * HOUR), 'still rotated from when it became current');
});

test('a current key whose activation time alone is unreadable is repaired, then rotated on schedule', (t) => {
  const factory = keyFactory();
  const [current, previous] = [factory.generate('current', T0), factory.generate('next', T0)];
  const healthy: StoredKey = { ...previous, state: 'previous', retiredAt: '2025-01-01T00:00:00Z' };
  const stored: KeySetDocument = { keys: [{ ...current, activatedAt: 'soon' }, healthy] };
  const repairedAt = at(10 * MINUTE);
  const plan = planAt(stored, repairedAt, { factory });
  t.like(plan, { action: 'none', changed: true });
  t.deepEqual(plan.document.keys[0], { ...current, activatedAt: '2025-01-01T00:10:00Z' });
  t.deepEqual(plan.document.keys[1], healthy, 'the readable key is kept as it was');

  // Measured from the repaired time, the key is rotated like any other.
  const { calls } = run({ stored: plan.document, from: repairedAt, until: at(800 * HOUR), ...factory });
  const rotation = repairedAt.getTime() + 720 * HOUR;
  t.deepEqual(steps(calls), [
    { at: at(HOUR).toISOString(), action: 'retired-previous' },
    { at: new Date(rotation).toISOString(), action: 'published-next' },
    { at: new Date(rotation + 7 * MINUTE).toISOString(), action: 'promoted' },
    { at: new Date(rotation + 7 * MINUTE + HOUR).toISOString(), action: 'retired-previous' },
  ]);
});

test('a repair is written together with a step that is due', (t) => {
  const factory = keyFactory();
  const published = run({ from: T0, until: at(720 * HOUR), ...factory }).stored as KeySetDocument;
  const [current, next] = published.keys as [StoredKey, StoredKey];
  const stored: KeySetDocument = { keys: [{ ...current, activatedAt: 'soon' }, next] };
  const plan = planAt(stored, at(721 * HOUR), { factory });
  t.like(plan, { action: 'promoted', changed: true, currentKid: next.kid });
  t.like(plan.document.keys[0], { state: 'previous', retiredAt: '2025-01-31T01:00:00Z' });
});

test('times are stored in whole seconds, rounded up, so waits are never cut short', (t) => {
  const factory = keyFactory();
  const created = planAt(undefined, at(400), { requested: true, factory });
  t.is(created.lastRotationTime, '2025-01-01T00:00:01Z');
  const published = planAt(created.document, at(HOUR + 1), { requested: true, factory });
  t.is(published.document.keys[1]?.createdAt, '2025-01-01T01:00:01Z');
  t.deepEqual(published.nextActionAt, at(HOUR + 1000 + 7 * MINUTE));
  const early = planAt(published.document, at(HOUR + 7 * MINUTE + 999), { factory });
  t.is(early.action, 'none');
});

test('times in the future only postpone: a key is never retired before its stored time allows', (t) => {
  const factory = keyFactory();
  const [current, previous] = [factory.generate('current', T0), factory.generate('next', T0)];
  const stored: KeySetDocument = {
    keys: [
      { ...current, activatedAt: '2025-01-01T00:00:00Z' },
      { ...previous, state: 'previous', retiredAt: '2025-01-01T05:00:00Z' },
    ],
  };
  const plan = planAt(stored, at(HOUR), { requested: true, factory });
  t.like(plan, { action: 'none', changed: false });
  t.deepEqual(plan.nextActionAt, at(6 * HOUR));
});

test('two previous keys are retired one step at a time, the earliest first', (t) => {
  const factory = keyFactory();
  const [current, older, newer] = [0, 1, 2].map(() => factory.generate('current', T0)) as StoredKey[];
  const stored: KeySetDocument = {
    keys: [
      { ...current, activatedAt: '2025-01-01T02:00:00Z' } as StoredKey,
      { ...newer, state: 'previous', retiredAt: '2025-01-01T01:00:00Z' } as StoredKey,
      { ...older, state: 'previous', retiredAt: '2025-01-01T00:00:00Z' } as StoredKey,
    ],
  };
  const first = planAt(stored, at(3 * HOUR), { factory });
  t.is(first.action, 'retired-previous');
  t.deepEqual(
    first.document.keys.map((key) => key.kid),
    [current?.kid, newer?.kid],
  );
  t.deepEqual(first.nextActionAt, at(3 * HOUR), 'the other one is due too');
  const second = planAt(first.document, at(3 * HOUR), { factory });
  t.deepEqual(
    second.document.keys.map((key) => key.kid),
    [current?.kid],
  );
});

test('a document without exactly one current key is a caller error', (t) => {
  const key = keyFactory().generate('next', T0);
  for (const keys of [
    [key],
    [
      { ...key, state: 'current' as const },
      { ...key, kid: 'other', state: 'current' as const },
    ],
  ]) {
    t.throws(() => planAt({ keys }, T0), {
      message: /exactly one current key, found [02]/,
    });
  }
});

test('a key set written by the API tooling is adopted: its extra fields dropped, its times set', (t) => {
  const { kid, x, d } = keyFactory().generate('current', T0);
  const text = JSON.stringify({
    keys: [{ kty: 'OKP', crv: 'Ed25519', x, d, kid, alg: 'EdDSA', state: 'current', use: 'sig' }],
  });
  const stored = parseStoredKeySet(text);
  // '' is the unreadable time the planner replaces.
  t.deepEqual(json(stored), {
    keys: [{ kid, alg: 'EdDSA', state: 'current', kty: 'OKP', crv: 'Ed25519', x, d, createdAt: '' }],
  });
  const plan = planAt(stored, T0);
  t.like(plan, { action: 'none', changed: true, currentKid: kid });
  t.like(plan.document.keys[0], { createdAt: '2025-01-01T00:00:00Z', activatedAt: '2025-01-01T00:00:00Z' });
});

test('corrupt or foreign documents are undefined, not an exception', (t) => {
  const [one, two] = [0, 1].map((index) => keyFactory(index).generate('current', T0)) as [
    StoredKey,
    StoredKey,
  ];
  const documents: Record<string, string> = {
    'not JSON': '{"keys": [',
    empty: '',
    null: 'null',
    'no keys': '{}',
    'keys not a list': '{"keys": {}}',
    'an empty list': '{"keys": []}',
    'no current key': JSON.stringify({ keys: [{ ...one, state: 'next' }] }),
    'two current keys': JSON.stringify({ keys: [one, two] }),
    'a repeated kid': JSON.stringify({ keys: [one, { ...two, kid: one.kid, state: 'previous' }] }),
    'an unknown state': JSON.stringify({ keys: [one, { ...two, state: 'retired' }] }),
    'another algorithm': JSON.stringify({ keys: [{ ...one, alg: 'ES256' }] }),
    'another key type': JSON.stringify({ keys: [{ ...one, kty: 'EC', crv: 'P-256' }] }),
    'an empty kid': JSON.stringify({ keys: [{ ...one, kid: '' }] }),
    'no private key': JSON.stringify({ keys: [{ ...one, d: undefined }] }),
    'a damaged private key': JSON.stringify({ keys: [{ ...one, d: one.d.slice(1) }] }),
    'halves of two keys': JSON.stringify({ keys: [{ ...one, x: two.x }] }),
  };
  for (const [name, text] of Object.entries(documents)) t.is(parseStoredKeySet(text), undefined, name);
  t.truthy(parseStoredKeySet(JSON.stringify({ keys: [one, { ...two, state: 'next' }] })));
});

/** How the API and its verifiers see the documents: how late, and for how long tokens live. */
interface Verifiers {
  timing: typeof TIMING;
  accessTokenTTLMs: number;
}

/**
 * The safety property, checked over whole histories. Each applied document is in effect from the
 * moment it is written; API pods read it up to `propagationDelayMs` late, so they may sign with a
 * document's current key until that long after the next document is written; the token is then
 * accepted for accessTokenTTL plus clock skew. Every document in effect during that time must hold
 * the key. And before a key first signs, every verifier (however stale its Secret and JWKS cache)
 * must already hold it.
 */
function assertTokensAlwaysVerify(
  t: ExecutionContext,
  calls: Call[],
  { timing, accessTokenTTLMs }: Verifiers,
  horizon: Date,
  label: string,
): void {
  const versions = calls
    .filter((call) => call.plan.changed)
    .map((call) => ({ at: call.now.getTime(), document: call.plan.document }));
  const inEffectAt = (time: number) => versions.findLast((version) => version.at <= time);
  const holds = (document: KeySetDocument | undefined, kid: string) =>
    document?.keys.some((key) => key.kid === kid) === true;
  const currentKid = (document: KeySetDocument | undefined) =>
    document?.keys.find((key) => key.state === 'current')?.kid;
  let checked = 0;
  for (const [index, version] of versions.entries()) {
    const { document } = version;
    t.is(
      document.keys.filter((key) => key.state === 'current').length,
      1,
      `${label}: exactly one current key`,
    );
    t.is(new Set(document.keys.map((key) => key.kid)).size, document.keys.length, `${label}: unique kids`);
    t.truthy(restart(document), `${label}: the document reads back`);
    const kid = currentKid(document) as string;

    if (index > 0 && currentKid(versions[index - 1]?.document) !== kid) {
      const stalest = version.at - timing.propagationDelayMs - timing.jwksCacheMs;
      t.true(
        holds(inEffectAt(stalest)?.document, kid),
        `${label}: ${kid} signs before every verifier has it`,
      );
    }

    const supersededAt = versions[index + 1]?.at;
    if (supersededAt === undefined) continue;
    const lastSigned = supersededAt + timing.propagationDelayMs;
    const lastValid = lastSigned + accessTokenTTLMs + timing.clockSkewMs;
    if (lastValid > horizon.getTime()) continue;
    for (const later of versions.slice(index)) {
      // At lastValid itself the token has expired: verifiers accept it while now < exp + skew.
      if (later.at >= lastValid) break;
      const when = new Date(later.at).toISOString();
      t.true(holds(later.document, kid), `${label}: ${kid}, signing until ${lastSigned}, is gone at ${when}`);
      checked++;
    }
  }
  t.true(checked > 0, `${label}: some tokens were checked`);
}

/** A small deterministic generator, so a failing history can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

test('every token that may still be valid verifies, over two scheduled rotations', (t) => {
  const { calls } = run({ from: T0, until: at(1500 * HOUR), resyncMs: 10 * HOUR, ...keyFactory() });
  assertTokensAlwaysVerify(
    t,
    calls,
    { timing: TIMING, accessTokenTTLMs: 15 * MINUTE },
    at(1500 * HOUR),
    'scheduled',
  );
});

test('every token that may still be valid verifies, under random requests, restarts and policies', (t) => {
  const cases = [
    { jwt: SPEC_JWT, timing: TIMING },
    { jwt: { rotationInterval: '2h', accessTokenTTL: '15m', previousKeyRetention: '15m' }, timing: TIMING },
    { jwt: { rotationInterval: '30m', accessTokenTTL: '1h', previousKeyRetention: '1h' }, timing: TIMING },
    {
      jwt: { rotationInterval: '1h', accessTokenTTL: '5m', previousKeyRetention: '3h' },
      timing: { propagationDelayMs: 90_000, clockSkewMs: 0, jwksCacheMs: 0 },
    },
    {
      jwt: { rotationInterval: '1h', accessTokenTTL: '10m', previousKeyRetention: '10m' },
      timing: { propagationDelayMs: 3 * MINUTE, clockSkewMs: 30_000, jwksCacheMs: 0 },
    },
  ];
  const horizon = 60 * HOUR;
  for (const [seed, { jwt, timing }] of cases.entries()) {
    const policy = rotationPolicy(jwt, timing);
    const next = random(seed + 1);
    const requestsAt = Array.from({ length: 12 }, () => Math.floor(next() * horizon));
    const factory = keyFactory(100 * seed);
    const calls: Call[] = [];
    let stored: KeySetDocument | undefined;
    // Stop the operator at random moments and start a new one from the Secret's text.
    for (let from = 0; from < horizon; ) {
      const until = Math.min(horizon, from + Math.floor(next() * 6 * HOUR));
      const segment = run({
        stored: stored && restart(stored),
        from: at(from),
        until: at(until),
        policy,
        generate: factory.generate,
        resyncMs: Math.floor(next() * HOUR) + 1,
        requestsAt: requestsAt.filter((time) => time >= from && time <= until).map(at),
      });
      calls.push(...segment.calls);
      stored = segment.stored;
      from = until + 1 + Math.floor(next() * 20 * MINUTE);
    }
    const label = `${jwt.rotationInterval}/${jwt.accessTokenTTL}/${jwt.previousKeyRetention}`;
    t.true(steps(calls).filter((step) => step.action === 'promoted').length >= 3, `${label} rotated`);
    const accessTokenTTLMs = parseDuration(jwt.accessTokenTTL);
    assertTokensAlwaysVerify(t, calls, { timing, accessTokenTTLMs }, at(horizon), label);
  }
});
