import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { SKELETON_APP } from '@skeleton/charts';
import { writeProjectedVolume } from '../../api/test/support/atomic-writer.js';
import { createTestDatabase } from '../../api/test/support/database.js';
import { ROTATE_KEYS_ANNOTATION } from '../src/keys/key-set-secret.js';
import { keySetSecretName } from '../src/reconcile/desired-state.js';
import { onEachBackend } from './support/each-backend.js';
import {
  type Cluster,
  exampleApp,
  operatorConfig,
  sleep,
  startClusterOn,
  startOperator,
  until,
} from './support/operator-harness.js';
import { REPO_ROOT, type RunningProcess, startProcess } from './support/operator-process.js';

/**
 * Issue 7, end to end, on each backend (the real control plane and the fake): the operator, and the real API process reading its
 * key set from a volume this test projects from the Secret the way the kubelet does. Clients keep
 * authenticating while the operator rotates the signing key twice; not one request may fail.
 */

const APP = 'accounts';
/** The spec's and the API's access-token lifetime. */
const ACCESS_TOKEN_TTL_S = 5;
const CLIENTS = 4;
/** Each client refreshes this often, so it holds a few live tokens and soon picks up a new key. */
const REFRESH_EVERY_MS = 1_000;
/**
 * A token is used until this long before it expires (then dropped), so that no request fails
 * because it expired on a slow way in: an expiry is not what this test is about.
 */
const USABLE_MARGIN_MS = 2_000;
/** Generous: a loaded 2-CPU machine also runs the other test files meanwhile. */
const DEADLINE_MS = 45_000;
const API_DIR = join(REPO_ROOT, 'api');

type Kind = 'register' | 'login' | 'me' | 'refresh' | 'jwks';

/** One request of the stream; times in ms since the test started. */
interface Call {
  kind: Kind;
  /** The HTTP status, or the network error's message. */
  status: number | string;
  /** `me`: the token's kid; `login`/`refresh`: the issued token's kid. */
  kid?: string;
  /** `jwks`: the kids served. */
  kids?: string[];
  sentAt: number;
  receivedAt: number;
}

/** One content of the Secret, as the kubelet loop projected it. */
interface SecretVersion {
  at: number;
  keys: { kid: string; state: string }[];
}

interface Rotation {
  request: string;
  from: string;
  to: string;
  requestedAt: number;
  publishedAt: number;
  promotedAt: number;
  /** When the API first answered with a token signed by the new key. */
  firstSignedAt: number;
  retiredAt: number;
  /** When the API's JWKS first came back without the retired key. */
  withdrawnAt: number;
}

interface Token {
  token: string;
  kid: string;
  expiresAtMs: number;
}

const decodePart = (token: string, index: number) =>
  JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

function readToken(token: string): Token {
  const { kid } = decodePart(token, 0);
  const { exp } = decodePart(token, 1);
  return { token, kid: String(kid), expiresAtMs: Number(exp) * 1000 };
}

/** Polls until `find` returns something, or fails the test with what it was waiting for. */
async function waitFor<T>(what: string, find: () => T | undefined | Promise<T | undefined>): Promise<T> {
  let found: T | undefined;
  const ok = await until(async () => {
    found = await find();
    return found !== undefined;
  }, DEADLINE_MS);
  if (!ok || found === undefined) throw new Error(`timed out waiting for ${what}`);
  return found;
}

const short = (kid: string) => kid.slice(0, 8);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

onEachBackend(
  'two key rotations under a continuous stream of authenticated requests: no request fails',
  async (t, backend) => {
    t.timeout(180_000);
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    // Teardown runs in reverse order of registration: the stream stops first, the database goes last.
    const database = await createTestDatabase();
    t.teardown(() => database.drop());
    const volume = await mkdtemp(join(tmpdir(), 'skeleton-keys-volume-'));
    t.teardown(() => rm(volume, { recursive: true, force: true }));
    const cluster: Cluster = await startClusterOn(backend);
    t.teardown(() => cluster.close());
    const namespace = await cluster.createNamespace('rotation');
    const operator = await startOperator(cluster, {
      config: operatorConfig({
        rotation: { propagationDelayMs: 1_000, jwksCacheMs: 1_000, clockSkewMs: 500 },
      }),
    });
    t.teardown(() => operator.stop());
    await cluster.createApp(
      exampleApp(APP, namespace, {
        jwt: {
          // Far away: the rotations here are the requested ones.
          rotationInterval: '1h',
          accessTokenTTL: `${ACCESS_TOKEN_TTL_S}s`,
          previousKeyRetention: `${ACCESS_TOKEN_TTL_S}s`,
        },
      }),
    );

    // The kubelet: polls the Secret and projects every new content into the volume with the atomic swap.
    const versions: SecretVersion[] = [];
    let secretReadErrors = 0;
    let kubeletRunning = true;
    const kubelet = (async () => {
      let projected: string | undefined;
      while (kubeletRunning) {
        try {
          const secret = await cluster.core.readNamespacedSecret({
            name: keySetSecretName(APP),
            namespace,
          });
          const encoded = secret.data?.['keys.json'];
          if (encoded !== undefined && encoded !== projected) {
            const text = Buffer.from(encoded, 'base64').toString('utf8');
            await writeProjectedVolume(volume, { 'keys.json': text });
            projected = encoded;
            const keys = (JSON.parse(text) as SecretVersion).keys.map(({ kid, state }) => ({ kid, state }));
            versions.push({ at: elapsed(), keys });
          }
        } catch (error) {
          if (!(error instanceof k8s.ApiException && error.code === 404)) secretReadErrors += 1;
        }
        await sleep(100);
      }
    })();
    t.teardown(async () => {
      kubeletRunning = false;
      await kubelet;
    });
    await waitFor('the first key set in the volume', () => versions[0]);

    // The API, as `npm start` runs it, reading the projected file.
    const api: RunningProcess = startProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: API_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        PORT: '0',
        DATABASE_URL: database.url,
        RATE_LIMITS: 'off',
        JWT_KEYS_FILE: join(volume, 'keys.json'),
        JWT_KEYS_CHECK_INTERVAL: '1s',
        ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL_S}s`,
      },
    });
    t.teardown(() => api.stop().then(() => undefined));
    const listening = await api.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, DEADLINE_MS);
    if (!listening) throw new Error(`the API did not start:\n${api.stdout()}\n${api.stderr()}`);
    const url = listening[1] as string;

    const calls: Call[] = [];
    const request = async (
      kind: Kind,
      path: string,
      init: { token?: string; body?: unknown } = {},
    ): Promise<{ status: number | string; body: Record<string, unknown> | undefined; call: Call }> => {
      const sentAt = elapsed();
      const headers: Record<string, string> = {};
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      if (init.body) headers['content-type'] = 'application/json';
      let status: number | string;
      let body: Record<string, unknown> | undefined;
      try {
        const response = await fetch(`${url}${path}`, {
          method: init.body ? 'POST' : 'GET',
          headers,
          ...(init.body ? { body: JSON.stringify(init.body) } : {}),
        });
        status = response.status;
        body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
      } catch (error) {
        status = (error as Error).message;
      }
      const call: Call = { kind, status, sentAt, receivedAt: elapsed() };
      calls.push(call);
      return { status, body, call };
    };
    /** The access and refresh token of a login or refresh answer; records the issued token's kid. */
    const issued = (answer: Awaited<ReturnType<typeof request>>) => {
      if (answer.status !== 200) return undefined;
      const data = answer.body?.data as { accessToken: string; refreshToken: string };
      const token = readToken(data.accessToken);
      answer.call.kid = token.kid;
      return { token, refreshToken: data.refreshToken };
    };

    const email = `rotation-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';
    const registered = await request('register', '/api/v1/auth/register', {
      body: { email, password, name: 'Rotation' },
    });
    t.is(registered.status, 201, JSON.stringify(registered.body));

    // The stream: each client logs in (its own session), then keeps calling /users/me with every token
    // it holds that still has USABLE_MARGIN_MS to live, and refreshes every REFRESH_EVERY_MS.
    let streaming = true;
    const client = async (index: number) => {
      await sleep((index * REFRESH_EVERY_MS) / CLIENTS);
      const login = issued(await request('login', '/api/v1/auth/login', { body: { email, password } }));
      if (!login) return;
      const tokens: Token[] = [login.token];
      let { refreshToken } = login;
      let refreshedAt = Date.now();
      while (streaming) {
        for (const token of tokens) {
          if (!streaming) break;
          if (token.expiresAtMs - Date.now() < USABLE_MARGIN_MS) continue;
          const me = await request('me', '/api/v1/users/me', { token: token.token });
          me.call.kid = token.kid;
        }
        if (Date.now() - refreshedAt >= REFRESH_EVERY_MS && streaming) {
          refreshedAt = Date.now();
          const pair = issued(await request('refresh', '/api/v1/auth/refresh', { body: { refreshToken } }));
          if (!pair) return;
          tokens.push(pair.token);
          refreshToken = pair.refreshToken;
        }
        tokens.splice(0, tokens.length, ...tokens.filter((token) => token.expiresAtMs > Date.now()));
        await sleep(50);
      }
    };
    const jwksPoller = async () => {
      while (streaming) {
        const answer = await request('jwks', '/.well-known/jwks.json');
        answer.call.kids = ((answer.body?.keys ?? []) as { kid: string }[]).map((key) => key.kid);
        await sleep(100);
      }
    };
    const stream = Promise.all([
      ...Array.from({ length: CLIENTS }, (_, index) => client(index)),
      jwksPoller(),
    ]);
    t.teardown(async () => {
      streaming = false;
      await stream;
    });

    const signedWith = (kid: string) =>
      calls.find((call) => (call.kind === 'login' || call.kind === 'refresh') && call.kid === kid);
    const current = (version: SecretVersion) => version.keys.find((key) => key.state === 'current')?.kid;

    await waitFor('every client signed in', () =>
      calls.filter((call) => call.kind === 'login').length === CLIENTS ? true : undefined,
    );
    await sleep(1_500);

    const patchAnnotation = (value: string) =>
      cluster.custom.patchNamespacedCustomObject(
        {
          group: SKELETON_APP.group,
          version: SKELETON_APP.version,
          plural: SKELETON_APP.plural,
          namespace,
          name: APP,
          body: { metadata: { annotations: { [ROTATE_KEYS_ANNOTATION]: value } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );

    /** Requests a rotation and follows it through publish, promote and retire, in the Secret and the API. */
    const rotate = async (value: string): Promise<Rotation> => {
      const before = versions.at(-1) as SecretVersion;
      const from = current(before) as string;
      const requestedAt = elapsed();
      await patchAnnotation(value);
      const published = await waitFor(`the next key published (${value})`, () =>
        versions.find(
          (version) => version.at >= before.at && version.keys.some((key) => key.state === 'next'),
        ),
      );
      const to = published.keys.find((key) => key.state === 'next')?.kid as string;
      const promoted = await waitFor(`key ${short(to)} promoted`, () =>
        versions.find((version) => current(version) === to),
      );
      t.deepEqual(
        promoted.keys.find((key) => key.kid === from),
        { kid: from, state: 'previous' },
        'the old key stays, verify-only',
      );
      const firstSigned = await waitFor(`a token signed with ${short(to)}`, () => signedWith(to));
      await waitFor(`status.currentKeyId ${short(to)}`, async () =>
        (await cluster.getApp(namespace, APP))?.status?.currentKeyId === to ? true : undefined,
      );
      const retired = await waitFor(`key ${short(from)} retired`, () =>
        versions.find((version) => version.keys.length === 1 && current(version) === to),
      );
      const withdrawn = await waitFor(`key ${short(from)} withdrawn from the JWKS`, () =>
        calls.find(
          (call) => call.kind === 'jwks' && call.sentAt > retired.at && call.kids?.includes(from) === false,
        ),
      );
      return {
        request: value,
        from,
        to,
        requestedAt,
        publishedAt: published.at,
        promotedAt: promoted.at,
        firstSignedAt: firstSigned.receivedAt,
        retiredAt: retired.at,
        withdrawnAt: withdrawn.receivedAt,
      };
    };

    const rotations: Rotation[] = [];
    for (const value of ['rotation-1', 'rotation-2']) rotations.push(await rotate(value));
    // A little more traffic on the last key, then the stream stops.
    await sleep(1_000);
    streaming = false;
    await stream;

    const byKind = (kind: Kind) => calls.filter((call) => call.kind === kind);
    const failures = calls.filter((call) => call.status !== (call.kind === 'register' ? 201 : 200));
    const keyOrder = versions.map(current).filter((kid, index, all) => kid && all.indexOf(kid) === index);
    const issuedCalls = calls
      .filter((call) => call.kind === 'login' || call.kind === 'refresh')
      .sort((a, b) => a.receivedAt - b.receivedAt);
    const signingOrder = issuedCalls
      .map((call) => call.kid as string)
      .filter((kid, index, all) => all.indexOf(kid) === index);
    const rank = (kid: string | undefined) => keyOrder.indexOf(kid);

    const reloads = api.logs().filter((line) => line.msg === 'JWT key set reloaded').length;
    const summary = [
      `run: ${seconds(elapsed())} s; ${calls.length} requests (${byKind('me').length} /users/me, ${byKind('refresh').length} refreshes, ${byKind('login').length} logins, ${byKind('jwks').length} JWKS); ${failures.length} failed; ${secretReadErrors} Secret read errors`,
      `Secret contents projected: ${versions.length}; API key-set reloads: ${reloads}; signing keys in promotion order: ${keyOrder.map((kid) => short(kid as string)).join(' → ')}`,
      ...keyOrder.map((kid) => {
        const tokens = issuedCalls.filter((call) => call.kid === kid).length;
        const served = byKind('me').filter((call) => call.kid === kid && call.status === 200).length;
        return `  key ${short(kid as string)}: ${tokens} tokens issued, ${served} /users/me answered 200 with them`;
      }),
      ...rotations.map(
        (r) =>
          `${r.request} ${short(r.from)} → ${short(r.to)}: requested ${seconds(r.requestedAt)} s, published ${seconds(r.publishedAt)} s, promoted ${seconds(r.promotedAt)} s, first signed ${seconds(r.firstSignedAt)} s, retired ${seconds(r.retiredAt)} s, gone from JWKS ${seconds(r.withdrawnAt)} s; old-key requests answered 200 after the switch: ${
            byKind('me').filter((call) => call.kid === r.from && call.sentAt > r.firstSignedAt).length
          }`,
      ),
    ];
    t.log(summary.join('\n'));

    t.deepEqual(
      failures.slice(0, 10),
      [],
      `${failures.length} of ${calls.length} requests failed during the rotations`,
    );
    t.is(rotations.length, 2, 'both rotations went through');
    t.true(byKind('me').length >= 200, `a continuous stream (${byKind('me').length} /users/me)`);
    t.is(keyOrder.length, 3, 'the Secret promoted two new keys');
    t.deepEqual(
      signingOrder,
      keyOrder,
      'tokens were signed by the keys in the order the Secret promoted them',
    );

    // Once an answer carried a key, no request sent after it got a token of an older key.
    const regressions = issuedCalls.filter((call) => {
      const seen = issuedCalls.filter((earlier) => earlier.receivedAt < call.sentAt);
      return rank(call.kid) < Math.max(-1, ...seen.map((earlier) => rank(earlier.kid)));
    });
    t.deepEqual(regressions, [], 'a token of an older key issued after one of a newer key');

    for (const r of rotations) {
      const label = `${r.request} (${short(r.from)} → ${short(r.to)})`;
      t.true(
        r.publishedAt < r.promotedAt && r.promotedAt < r.retiredAt,
        `${label}: publish, promote, retire`,
      );
      // Newly issued tokens carry the new kid: every login or refresh sent once the API signed with it.
      const afterSwitch = issuedCalls.filter((call) => call.sentAt > r.firstSignedAt);
      t.true(afterSwitch.length > 0, `${label}: tokens issued after the switch`);
      t.true(
        afterSwitch.every((call) => rank(call.kid) >= rank(r.to)),
        `${label}: a token issued after the switch carries an older kid`,
      );
      // Tokens issued before the rotation keep working while their key is `previous`.
      const oldStillAccepted = byKind('me').filter(
        (call) => call.kid === r.from && call.sentAt > r.firstSignedAt && call.status === 200,
      );
      t.true(oldStillAccepted.length > 0, `${label}: a token of the old key accepted after the switch`);
      t.true(
        oldStillAccepted.every((call) => call.receivedAt < r.withdrawnAt),
        `${label}: the old key's tokens were used only while it was published`,
      );
      // The JWKS served the next key before any token was signed with it.
      const firstSigning = signedWith(r.to) as Call;
      t.true(
        byKind('jwks').some((call) => call.kids?.includes(r.to) && call.receivedAt < firstSigning.sentAt),
        `${label}: the JWKS published ${short(r.to)} before it signed`,
      );
    }
    t.is((await cluster.getApp(namespace, APP))?.status?.currentKeyId, keyOrder.at(-1));
  },
);
