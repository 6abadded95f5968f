import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as jose from 'jose';
import { AccessTokenService } from '../../src/domain/tokens/access-tokens.js';
import { generateKeyEntry, type KeySet, KeySetError } from '../../src/domain/tokens/key-set.js';
import {
  type KeySetReloaderOptions,
  startKeySetReloader,
  type WatchDirectory,
  watchDirectory,
} from '../../src/domain/tokens/key-set-reloader.js';
import { writeProjectedVolume } from '../support/atomic-writer.js';
import { testClock } from '../support/clock.js';
import { eventually } from '../support/eventually.js';
import { codeOf } from '../support/outcome.js';

type KeyEntry = Awaited<ReturnType<typeof generateKeyEntry>>;

const keysJson = (...keys: object[]) => ({ 'keys.json': JSON.stringify({ keys }) });

/** A volume in a fresh folder, removed after the test; JWT_KEYS_FILE is its keys.json. */
async function projectedVolume(t: ExecutionContext, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'skeleton-keys-volume-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeProjectedVolume(dir, files);
  return {
    path: join(dir, 'keys.json'),
    write: (next: Record<string, string>) => writeProjectedVolume(dir, next),
  };
}

/** What the reloader told its logger and metrics. */
function observer() {
  const logged: Array<{ level: 'info' | 'warn'; details: Record<string, unknown>; message: string }> = [];
  const results: string[] = [];
  const observed: Array<{ kids: string[]; at: Date }> = [];
  return {
    logged,
    results,
    observed,
    logger: {
      info: (details: object, message: string) =>
        logged.push({ level: 'info', details: { ...details }, message }),
      warn: (details: object, message: string) =>
        logged.push({ level: 'warn', details: { ...details }, message }),
    },
    metrics: {
      recordKeySetReload: (result: string) => results.push(result),
      observeKeySet: (keySet: KeySet, at: Date) => observed.push({ kids: [...keySet.byKid.keys()], at }),
    },
  };
}

/** A watch that never reports anything: only check() and the periodic check see changes. */
const deaf: WatchDirectory = () => ({ close() {} });

/** A watch the test fires by hand. */
function handWatch() {
  const state = { fire: () => {}, fail: (_error: Error) => {}, directory: '', closed: false };
  const watch: WatchDirectory = (directory, onChange, onError) => {
    Object.assign(state, { fire: onChange, fail: onError, directory });
    return {
      close() {
        state.closed = true;
      },
    };
  };
  return { state, watch };
}

async function reloaderOn(t: ExecutionContext, path: string, options: Partial<KeySetReloaderOptions> = {}) {
  const seen = observer();
  const reloader = await startKeySetReloader({
    path,
    logger: seen.logger,
    metrics: seen.metrics,
    clock: testClock(new Date('2026-11-25T10:00:00Z')).clock,
    checkIntervalMs: 3_600_000,
    watch: deaf,
    ...options,
  });
  t.teardown(() => reloader.close());
  return { reloader, ...seen };
}

const noKeyMaterial = (t: ExecutionContext, logged: object[], keys: KeyEntry[]) => {
  const text = JSON.stringify(logged);
  for (const key of keys) t.false(text.includes(key.d as string), 'a private key reached the log');
};

test('an atomic swap of the volume is picked up by the directory watch', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader, results, observed, logged } = await reloaderOn(t, volume.path, { watch: watchDirectory });
  t.is(reloader.keys().current.kid, a.kid);
  t.deepEqual(observed[0]?.kids, [a.kid], 'the first load is observed too');

  await volume.write(keysJson({ ...a, state: 'previous' }, b));
  await eventually(() => (reloader.keys().current.kid === b.kid ? true : undefined), 'the new current key');
  t.deepEqual([...reloader.keys().byKid.keys()], [a.kid, b.kid]);
  t.deepEqual(results, ['success']);
  t.deepEqual(observed[1], { kids: [a.kid, b.kid], at: new Date('2026-11-25T10:00:00Z') });
  t.like(logged[0], { level: 'info', message: 'JWT key set reloaded' });
  t.deepEqual(logged[0]?.details.keys, [
    { kid: a.kid, state: 'previous' },
    { kid: b.kid, state: 'current' },
  ]);
  noKeyMaterial(t, logged, [a, b]);
});

test('a swap to identical content is not parsed again', async (t) => {
  const a = await generateKeyEntry('current');
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader, results, logged } = await reloaderOn(t, volume.path);
  const before = reloader.keys();
  await volume.write(keysJson(a));
  t.is(await reloader.check(), 'unchanged');
  t.is(reloader.keys(), before, 'the very same key set object');
  t.deepEqual(results, []);
  t.deepEqual(logged, []);
});

test('an invalid, ambiguous or missing file keeps the last good key set, is logged once and counted while it lasts', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader, results, logged } = await reloaderOn(t, volume.path);
  const good = reloader.keys();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'keys.json': `{"keys": [${JSON.stringify(b)}` }, /is not valid JSON/],
    [keysJson(a, b), /exactly one current key, found 2/],
    [{ 'other.json': '{}' }, /cannot read JWT_KEYS_FILE .*keys\.json: ENOENT/],
  ];
  for (const [files, reason] of cases) {
    await volume.write(files);
    t.is(await reloader.check(), 'refused');
    t.is(reloader.keys(), good);
    const warning = logged.at(-1);
    t.is(warning?.level, 'warn');
    t.is(warning?.message, 'JWT key set not reloaded: the last good key set stays in use');
    t.regex(String(warning?.details.reason), reason);
    const warnings = logged.length;
    t.is(await reloader.check(), 'refused', 'still refused, and counted again');
    t.is(logged.length, warnings, 'but logged once');
  }
  t.deepEqual(results, Array(6).fill('failure'));
  t.deepEqual(logged[0]?.details.keysInUse, [{ kid: a.kid, state: 'current' }]);
  noKeyMaterial(t, logged, [a, b]);

  await volume.write(keysJson(b));
  t.is(await reloader.check(), 'reloaded', 'a fixed file is taken at once');
  t.is(reloader.keys().current.kid, b.kid);
  t.deepEqual(results, [...Array(6).fill('failure'), 'success']);
  t.is(await reloader.check(), 'unchanged');
});

test('the periodic check picks up a change that no watch reported', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader, results } = await reloaderOn(t, volume.path, { checkIntervalMs: 20 });
  await volume.write(keysJson(b));
  await eventually(() => (reloader.keys().current.kid === b.kid ? true : undefined), 'the periodic reload');
  t.deepEqual(results, ['success']);
});

test('a burst of events is one read, after the burst', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const { state, watch } = handWatch();
  const { reloader, results } = await reloaderOn(t, volume.path, { watch, debounceMs: 10 });
  t.is(state.directory, join(volume.path, '..'), 'the directory is watched, not the file');
  await volume.write(keysJson(b));
  for (let event = 0; event < 5; event++) state.fire();
  await eventually(() => (reloader.keys().current.kid === b.kid ? true : undefined), 'the debounced reload');
  t.is(await reloader.check(), 'unchanged');
  t.deepEqual(results, ['success'], 'read and parsed once');
  await reloader.close();
  t.true(state.closed, 'close() stops the watch');
});

test('a watch that cannot start or breaks leaves the periodic check working, and says so', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const full: WatchDirectory = () => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
      code: 'ENOSPC',
    });
  };
  const unwatched = await reloaderOn(t, volume.path, { watch: full, checkIntervalMs: 20 });
  t.like(unwatched.logged[0], {
    level: 'warn',
    message: 'cannot watch the JWT key-set directory; changes are picked up by the periodic check only',
    details: { reason: 'ENOSPC: System limit for number of file watchers reached', checkIntervalMs: 20 },
  });
  await volume.write(keysJson(b));
  await eventually(() => (unwatched.reloader.keys().current.kid === b.kid ? true : undefined), 'a reload');

  const { state, watch } = handWatch();
  const broken = await reloaderOn(t, volume.path, { watch });
  state.fail(new Error('watched directory removed'));
  t.true(state.closed);
  t.like(broken.logged[0], { level: 'warn', details: { reason: 'watched directory removed' } });
});

test('close() waits for a check in progress', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('current')];
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader } = await reloaderOn(t, volume.path);
  await volume.write(keysJson(b));
  const checking = reloader.check();
  await reloader.close();
  t.is(reloader.keys().current.kid, b.kid);
  t.is(await checking, 'reloaded');
});

test('a first load that fails stops start-up with the reason', async (t) => {
  const volume = await projectedVolume(t, { 'other.json': '{}' });
  await t.throwsAsync(reloaderOn(t, volume.path), { instanceOf: KeySetError, message: /ENOENT/ });
  await volume.write(keysJson(await generateKeyEntry('previous')));
  await t.throwsAsync(reloaderOn(t, volume.path), {
    instanceOf: KeySetError,
    message: /exactly one current/,
  });
});

test('a rotation through the file: sign with current, verify next/current/previous, forget the retired', async (t) => {
  const [a, b] = [await generateKeyEntry('current'), await generateKeyEntry('next')];
  const volume = await projectedVolume(t, keysJson(a));
  const { reloader } = await reloaderOn(t, volume.path);
  const time = testClock(new Date('2026-11-25T10:00:00Z'));
  const settings = {
    issuer: 'https://issuer.test',
    audience: 'skeleton-api',
    ttlSeconds: 900,
    clockSkewSeconds: 30,
  };
  const tokens = new AccessTokenService(reloader.keys, settings, time.clock);
  const claims = {
    userId: '0190c1a0-0000-7000-8000-000000000001',
    sessionId: '0190c1a0-0000-7000-8000-000000000002',
  };
  const kidOf = (token: string) => jose.decodeProtectedHeader(token).kid;
  const jwksKids = () => reloader.keys().jwks.keys.map((key) => key.kid);
  const swap = async (...keys: object[]) => {
    await volume.write(keysJson(...keys));
    t.is(await reloader.check(), 'reloaded');
  };

  const verifiedEarly = (await tokens.issue(claims)).token;
  const verifiedLate = (await tokens.issue(claims)).token;
  t.is(await codeOf(tokens.verify(verifiedEarly)), 'accepted', 'now in the verified-token cache');

  await swap(a, b);
  t.deepEqual(jwksKids(), [a.kid, b.kid], 'the next key is published before it signs');
  t.is(kidOf((await tokens.issue(claims)).token), a.kid);

  await swap({ ...a, state: 'previous' }, { ...b, state: 'current' });
  const signedByB = (await tokens.issue(claims)).token;
  t.is(kidOf(signedByB), b.kid);
  t.is(await codeOf(tokens.verify(verifiedLate)), 'accepted', 'a previous key still verifies');
  t.is(await codeOf(tokens.verify(verifiedEarly)), 'accepted');

  await swap({ ...b, state: 'current' });
  t.deepEqual(jwksKids(), [b.kid]);
  t.is(await codeOf(tokens.verify(verifiedEarly)), 'auth.invalid_token', 'cached, yet refused once retired');
  t.is(await codeOf(tokens.verify(verifiedLate)), 'auth.invalid_token');
  t.is(await codeOf(tokens.verify(signedByB)), 'accepted');
});
