import { EXAMPLE_SKELETON_APP, type KubernetesObject } from '@skeleton/charts';
import test from 'ava';
import { readKeySetSecret, type StoredKeySet, type StoredSecret } from '../src/keys/key-set-secret.js';
import type { SkeletonAppObject } from '../src/reconcile/desired-state.js';
import { createReconciler, LEGACY_FINALIZER, type OwnedChild } from '../src/reconcile/reconciler.js';
import type { SkeletonAppStatus } from '../src/status/skeleton-app-status.js';

/** The reconciler alone, with the cluster replaced by maps: its decisions, without any HTTP. */

const NOW = new Date('2026-11-25T12:00:00Z');

function world(app: SkeletonAppObject | undefined) {
  const clock = { now: NOW };
  const logs: string[] = [];
  const children = new Map<string, KubernetesObject>();
  const writes: string[] = [];
  const events: string[] = [];
  const forgotten: string[] = [];
  let current = app;
  let revision = 0;
  /** As the API server does: the first write stamps the creation time, each a new resourceVersion. */
  const store = (object: KubernetesObject) => {
    revision += 1;
    const stored = {
      ...object,
      metadata: {
        ...object.metadata,
        creationTimestamp: NOW.toISOString(),
        resourceVersion: String(revision),
      },
    };
    children.set(`${object.kind}/${object.metadata.name}`, stored);
    return stored;
  };
  /** The copy of the key set the watch keeps (the operator's job; set by the test). */
  const copy: { value: StoredKeySet | undefined } = { value: undefined };
  const reconcile = createReconciler({
    view: {
      app: () => current,
      child: (kind, _namespace, name) => children.get(`${kind.kind}/${name}`),
      secret: (_namespace, name) => children.get(`Secret/${name}`),
      keySetCopy: () => copy.value,
      // Key-set Secrets are watched apart from the children, so never among them.
      owned: () =>
        [...children.values()]
          .filter((object) => object.kind !== 'Secret')
          .map(
            (object) =>
              ({ kind: { apiVersion: object.apiVersion, kind: object.kind }, object }) as OwnedChild,
          ),
    },
    writer: {
      async apply(object, _signal, fieldManager) {
        const id = `${object.kind}/${object.metadata.name}`;
        if (fieldManager === undefined) {
          writes.push(`apply ${id}`);
          return store(object);
        }
        // Another manager's fields join what is stored, as server-side apply merges them.
        writes.push(`apply ${id} as ${fieldManager}`);
        const current = children.get(id) as KubernetesObject & { spec?: object };
        return store({
          ...current,
          spec: { ...current.spec, ...(object as { spec?: object }).spec },
        } as KubernetesObject);
      },
      async writeKeySet(object, resourceVersion) {
        writes.push(
          `${resourceVersion === undefined ? 'create' : `replace@${resourceVersion}`} ${object.metadata.name}`,
        );
        return store(object);
      },
      async remove(kind, object) {
        writes.push(`delete ${kind.kind}/${object.metadata?.name}`);
        children.delete(`${kind.kind}/${object.metadata?.name}`);
      },
      async setFinalizers(target, finalizers) {
        writes.push(`finalizers ${JSON.stringify(finalizers)}`);
        current = { ...target, metadata: { ...target.metadata, finalizers } };
        return current;
      },
      async patchStatus(target, _previous, next: SkeletonAppStatus) {
        writes.push('status');
        current = { ...target, status: next };
        return current;
      },
    },
    events: {
      async record(_subject, type, reason) {
        events.push(`${type}/${reason}`);
      },
      forget: (subject) => forgotten.push(`${subject.namespace}/${subject.name}`),
    },
    serviceMonitorAvailable: () => false,
    rotationTiming: { propagationDelayMs: 60_000, jwksCacheMs: 300_000, clockSkewMs: 60_000 },
    clock: () => clock.now,
    log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`),
  });
  return {
    reconcile: (key: string) => reconcile(key, new AbortController().signal),
    writes,
    events,
    forgotten,
    children,
    copy,
    clock,
    logs,
    app: () => current,
    setApp: (next: SkeletonAppObject) => {
      current = next;
    },
  };
}

const app = (overrides: Partial<SkeletonAppObject> = {}): SkeletonAppObject => ({
  apiVersion: EXAMPLE_SKELETON_APP.apiVersion,
  kind: 'SkeletonApp',
  metadata: { name: 'accounts', namespace: 'identity', uid: 'uid-1', generation: 1, resourceVersion: '7' },
  spec: EXAMPLE_SKELETON_APP.spec,
  ...overrides,
});

/** The Job controller's verdict on the one migration Job in the world. */
function finishJob(w: ReturnType<typeof world>, outcome: 'Complete' | 'Failed', message = 'exit code 1') {
  const [key, job] = [...w.children].find(([id]) => id.startsWith('Job/')) ?? [];
  if (!key || !job) throw new Error('no Job');
  w.children.set(key, { ...job, status: { conditions: [{ type: outcome, status: 'True', message }] } });
}

const imageOf = (w: ReturnType<typeof world>) =>
  (
    w.children.get('Deployment/accounts') as {
      spec?: { template: { spec: { containers: { image: string }[] } } };
    }
  )?.spec?.template.spec.containers[0]?.image;

const conditionOf = (w: ReturnType<typeof world>, type: string) =>
  (w.app()?.status as SkeletonAppStatus | undefined)?.conditions?.find(
    (condition) => condition.type === type,
  );

const withSpec = (spec: unknown = EXAMPLE_SKELETON_APP.spec) => app({ spec });

test('the first Deployment is created only once the first migration completed', async (t) => {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  t.true(w.writes.some((write) => write.startsWith('apply Job/accounts-migrate-')));
  t.false(w.writes.includes('apply Deployment/accounts'));
  t.like(conditionOf(w, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationPending' });
  t.like(conditionOf(w, 'Ready'), { status: 'False', reason: 'MigrationPending' });

  finishJob(w, 'Complete');
  await w.reconcile('identity/accounts');
  t.is(imageOf(w), EXAMPLE_SKELETON_APP.spec.image);
  t.like(conditionOf(w, 'MigrationSucceeded'), { status: 'True', reason: 'MigrationComplete' });
  const created = w.writes.indexOf('apply Deployment/accounts');
  t.is(
    w.writes[created + 1],
    'apply Deployment/accounts as skeleton-operator-initial-replicas',
    'created at replicas.min, and the count handed to a manager of its own at once',
  );
  t.is((w.children.get('Deployment/accounts') as { spec?: { replicas?: number } }).spec?.replicas, 2);
});

test('a second pass over an unchanged world writes nothing', async (t) => {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  finishJob(w, 'Complete');
  await w.reconcile('identity/accounts');
  t.true(w.writes.includes('apply Deployment/accounts'));
  t.true(w.writes.includes('status'));
  w.writes.length = 0;
  w.events.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, []);
  t.deepEqual(w.events, []);
});

test('a failed migration keeps the old image serving, is Degraded, and is not run again', async (t) => {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  finishJob(w, 'Complete');
  await w.reconcile('identity/accounts');
  const oldImage = imageOf(w);

  for (const key of w.children.keys()) if (key.startsWith('Job/')) w.children.delete(key);
  const next = { ...EXAMPLE_SKELETON_APP.spec, image: 'registry.example.com/skeleton-api:2.0.0' };
  w.setApp({
    ...(w.app() as SkeletonAppObject),
    spec: next,
    metadata: { ...w.app()?.metadata, generation: 2 },
  });
  await w.reconcile('identity/accounts');
  finishJob(w, 'Failed', 'BackoffLimitExceeded: the column already exists');
  w.writes.length = 0;
  await w.reconcile('identity/accounts');
  t.is(imageOf(w), oldImage, 'the Deployment keeps the old image');
  t.like(conditionOf(w, 'Degraded'), { status: 'True', reason: 'MigrationFailed' });
  t.regex(conditionOf(w, 'Degraded')?.message ?? '', /the column already exists/);
  t.like(conditionOf(w, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationFailed' });
  t.true(w.events.includes('Warning/MigrationFailed'));
  t.false(
    w.writes.some((write) => write.startsWith('apply')),
    'no child written',
  );

  w.writes.length = 0;
  w.clock.now = new Date(NOW.getTime() + 10_000);
  await w.reconcile('identity/accounts');
  t.deepEqual(
    w.writes,
    [],
    'the failed Job is not run again, and a later pass does not re-time the conditions',
  );
});

test('an image already running needs no Job: one removed by its TTL is not run again', async (t) => {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  finishJob(w, 'Complete');
  await w.reconcile('identity/accounts');
  for (const key of w.children.keys()) if (key.startsWith('Job/')) w.children.delete(key);
  w.writes.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, []);
});

test('only the newest migration Jobs are kept', async (t) => {
  const w = world(withSpec());
  for (let i = 0; i < 5; i++) {
    w.children.set(`Job/old-${i}`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `old-${i}`, creationTimestamp: `2026-01-0${i + 1}T00:00:00Z` },
    } as KubernetesObject);
  }
  await w.reconcile('identity/accounts');
  const removed = w.writes.filter((write) => write.startsWith('delete'));
  t.deepEqual(removed.sort(), ['delete Job/old-0', 'delete Job/old-1', 'delete Job/old-2']);
  t.true(
    [...w.children.keys()].some((key) => key.startsWith('Job/accounts-migrate-')),
    'the current one stays',
  );
});

test('no finalizer is added; the one an older operator added is removed first', async (t) => {
  const fresh = world(app());
  await fresh.reconcile('identity/accounts');
  t.false(fresh.writes.some((write) => write.startsWith('finalizers')));
  const legacy = world(app({ metadata: { ...app().metadata, finalizers: ['other', LEGACY_FINALIZER] } }));
  await legacy.reconcile('identity/accounts');
  t.is(legacy.writes[0], 'finalizers ["other"]');
  t.true(
    legacy.writes.some((write) => write.startsWith('apply Job/')),
    'then the reconcile goes on',
  );
});

test('a spec this operator cannot read is reported in the status and changes nothing else', async (t) => {
  const w = world(app({ spec: { image: 'no tag here', database: {} } }));
  await w.reconcile('identity/accounts');
  t.false(
    w.writes.some((write) => write.startsWith('apply')),
    'no child is applied',
  );
  const status = w.app()?.status as SkeletonAppStatus;
  const ready = status.conditions?.find((condition) => condition.type === 'Ready');
  t.like(ready, { status: 'False', reason: 'InvalidSpec' });
  t.regex(ready?.message ?? '', /spec\.image/);
  t.regex(ready?.message ?? '', /spec\.database\.secretRef/);
  t.deepEqual(w.events, ['Warning/InvalidSpec']);
  w.writes.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, [], 'reported once');
});

test('a deleted app with the legacy finalizer: only that finalizer is removed, nothing else written', async (t) => {
  const w = world(
    app({
      metadata: {
        ...app().metadata,
        finalizers: ['other', LEGACY_FINALIZER],
        deletionTimestamp: NOW.toISOString(),
      },
    }),
  );
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, ['finalizers ["other"]'], 'only ours is removed');
  t.deepEqual(w.events, []);
  t.deepEqual(w.forgotten, ['identity/accounts']);
});

test('a deleted app without the finalizer is left alone', async (t) => {
  const w = world(
    app({ metadata: { ...app().metadata, finalizers: ['other'], deletionTimestamp: NOW.toISOString() } }),
  );
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, []);
});

test('an app that is gone from the cache only forgets its event budget', async (t) => {
  const w = world(undefined);
  t.is(await w.reconcile('identity/accounts'), undefined);
  t.deepEqual(w.writes, []);
  t.deepEqual(w.forgotten, ['identity/accounts']);
});

const keySetOf = (w: ReturnType<typeof world>) => {
  const secret = w.children.get('Secret/accounts-jwt-keys') as { data?: Record<string, string> } | undefined;
  const text = secret?.data?.['keys.json'];
  return text === undefined
    ? undefined
    : (JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as {
        keys: { kid: string; state: string; d: string }[];
      });
};

test('the key-set Secret is created with one current key before the Deployment, and the status names it', async (t) => {
  const w = world(withSpec());
  const outcome = await w.reconcile('identity/accounts');
  const keys = keySetOf(w)?.keys ?? [];
  t.deepEqual(
    keys.map((key) => key.state),
    ['current'],
  );
  const status = w.app()?.status as SkeletonAppStatus;
  t.is(status.currentKeyId, keys[0]?.kid);
  t.is(status.lastRotationTime, NOW.toISOString().replace(/\.\d+Z$/, 'Z'));
  t.like(conditionOf(w, 'KeysRotated'), { status: 'True', reason: 'OnSchedule' });
  t.deepEqual(outcome, { requeueAfterMs: 86_400_000 }, 'the 720 h rotation is timed work, capped at a day');
  t.true(w.events.includes('Normal/KeysCreated'));
  const secretIndex = w.writes.indexOf('create accounts-jwt-keys');
  t.true(secretIndex >= 0, 'created, not applied: a replica that lost the race gets a conflict');
  t.true(
    secretIndex < w.writes.findIndex((write) => write.startsWith('apply Job/')),
    'before anything that runs the image',
  );
  for (const key of keys)
    t.false(
      w.logs.some((line) => line.includes(key.d)),
      'no private key in the logs',
    );
});

test('the rotate-keys annotation publishes the next key at once, once per value', async (t) => {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  const annotated = (value: string) =>
    w.setApp({
      ...(w.app() as SkeletonAppObject),
      metadata: { ...w.app()?.metadata, annotations: { 'platform.skeleton.dev/rotate-keys': value } },
    });
  annotated('2026-11-25T12:00');
  const outcome = await w.reconcile('identity/accounts');
  t.deepEqual(
    keySetOf(w)?.keys.map((key) => key.state),
    ['current', 'next'],
  );
  t.true(w.events.includes('Normal/KeyPublished'));
  t.deepEqual(
    outcome,
    { requeueAfterMs: 360_000 },
    'promotion after propagation (60 s) + JWKS cache (300 s), whole seconds',
  );

  w.writes.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, [], 'the same request is honoured once');

  w.clock.now = new Date(NOW.getTime() + 360_000);
  await w.reconcile('identity/accounts');
  t.deepEqual(
    keySetOf(w)?.keys.map((key) => key.state),
    ['previous', 'current'],
  );
  t.is((w.app()?.status as SkeletonAppStatus | undefined)?.currentKeyId, keySetOf(w)?.keys[1]?.kid);
  t.true(w.events.includes('Normal/KeyRotated'));
});

test('an unreadable key-set Secret is replaced and reported', async (t) => {
  const w = world(withSpec());
  w.children.set('Secret/accounts-jwt-keys', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'accounts-jwt-keys' },
    data: { 'keys.json': Buffer.from('{"keys": "not a list"}').toString('base64') },
  } as KubernetesObject);
  await w.reconcile('identity/accounts');
  t.deepEqual(
    keySetOf(w)?.keys.map((key) => key.state),
    ['current'],
  );
  t.true(w.logs.some((line) => line.startsWith('warn the key-set Secret cannot be read')));
});

/** The world after its first pass, with the watch's copy of the key set taken. */
async function withKeySet() {
  const w = world(withSpec());
  await w.reconcile('identity/accounts');
  w.copy.value = readKeySetSecret(w.children.get('Secret/accounts-jwt-keys') as StoredSecret);
  w.writes.length = 0;
  w.events.length = 0;
  return w;
}

test('a deleted key-set Secret is created again with the same keys, with an event and a condition', async (t) => {
  const w = await withKeySet();
  const before = keySetOf(w);
  w.children.delete('Secret/accounts-jwt-keys');
  await w.reconcile('identity/accounts');
  t.deepEqual(
    w.writes.filter((write) => write.includes('jwt-keys')),
    ['create accounts-jwt-keys'],
  );
  t.deepEqual(keySetOf(w), before, 'the same keys: nobody is signed out');
  t.true(w.events.includes('Warning/KeySetRestored'));
  t.like(conditionOf(w, 'KeysRotated'), { status: 'True', reason: 'KeySetRestored' });
  t.regex(
    conditionOf(w, 'KeysRotated')?.message ?? '',
    /was deleted and has been restored with the same keys/,
  );
  w.writes.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, [], `restored once: ${w.writes}`);
  t.like(
    conditionOf(w, 'KeysRotated'),
    { reason: 'KeySetRestored' },
    'the condition stays until the next step',
  );
});

test('an unreadable key-set Secret is replaced at its resourceVersion by the same keys', async (t) => {
  const w = await withKeySet();
  const before = keySetOf(w);
  const secret = w.children.get('Secret/accounts-jwt-keys') as KubernetesObject & {
    data: Record<string, string>;
  };
  w.children.set('Secret/accounts-jwt-keys', {
    ...secret,
    metadata: { ...secret.metadata, resourceVersion: '41' },
    data: { 'keys.json': Buffer.from('garbage').toString('base64') },
  } as KubernetesObject);
  await w.reconcile('identity/accounts');
  t.deepEqual(
    w.writes.filter((write) => write.includes('jwt-keys')),
    ['replace@41 accounts-jwt-keys'],
  );
  t.deepEqual(keySetOf(w), before);
  t.regex(conditionOf(w, 'KeysRotated')?.message ?? '', /was unreadable and has been restored/);
});

test('a key set that existed but is gone, with no copy, is reported and not replaced until asked', async (t) => {
  const w = await withKeySet();
  w.copy.value = undefined;
  w.children.delete('Secret/accounts-jwt-keys');
  const outcome = await w.reconcile('identity/accounts');
  t.false(
    w.writes.some((write) => write.includes('jwt-keys')),
    'no new keys: they would sign everyone out',
  );
  t.like(conditionOf(w, 'KeysRotated'), { status: 'False', reason: 'KeySetLost' });
  t.like(conditionOf(w, 'Degraded'), { status: 'True', reason: 'KeySetLost' });
  t.regex(conditionOf(w, 'KeysRotated')?.message ?? '', /platform\.skeleton\.dev\/rotate-keys/);
  t.is(outcome, undefined, 'the watch brings the app back when the Secret returns');

  w.setApp({
    ...(w.app() as SkeletonAppObject),
    metadata: { ...w.app()?.metadata, annotations: { 'platform.skeleton.dev/rotate-keys': 'now' } },
  });
  await w.reconcile('identity/accounts');
  t.true(w.writes.includes('create accounts-jwt-keys'), 'an explicit request makes a new key set');
  t.like(conditionOf(w, 'KeysRotated'), { status: 'True', reason: 'OnSchedule' });
});

test('a rotation step replaces the Secret at the resourceVersion it was read at', async (t) => {
  const w = await withKeySet();
  const secret = w.children.get('Secret/accounts-jwt-keys') as StoredSecret;
  const version = secret.metadata?.resourceVersion;
  w.clock.now = new Date(NOW.getTime() + 720 * 3_600_000);
  await w.reconcile('identity/accounts');
  t.deepEqual(
    w.writes.filter((write) => write.includes('jwt-keys')),
    [`replace@${version} accounts-jwt-keys`],
  );
});
