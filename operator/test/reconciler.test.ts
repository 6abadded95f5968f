import { EXAMPLE_SKELETON_APP, type KubernetesObject } from '@skeleton/charts';
import test from 'ava';
import type { SkeletonAppObject } from '../src/reconcile/desired-state.js';
import { createReconciler, FINALIZER, type OwnedChild } from '../src/reconcile/reconciler.js';
import type { SkeletonAppStatus } from '../src/status/skeleton-app-status.js';

/** The reconciler alone, with the cluster replaced by maps: its decisions, without any HTTP. */

const NOW = new Date('2026-11-25T12:00:00Z');

function world(app: SkeletonAppObject | undefined) {
  const children = new Map<string, KubernetesObject>();
  const writes: string[] = [];
  const events: string[] = [];
  const forgotten: string[] = [];
  let current = app;
  const reconcile = createReconciler({
    view: {
      app: () => current,
      child: (kind, _namespace, name) => children.get(`${kind.kind}/${name}`),
      owned: () =>
        [...children.values()].map(
          (object) => ({ kind: { apiVersion: object.apiVersion, kind: object.kind }, object }) as OwnedChild,
        ),
    },
    writer: {
      async apply(object) {
        writes.push(`apply ${object.kind}/${object.metadata.name}`);
        children.set(`${object.kind}/${object.metadata.name}`, object);
        return object;
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
    clock: () => NOW,
    log: () => undefined,
  });
  return { reconcile, writes, events, forgotten, children, app: () => current };
}

const app = (overrides: Partial<SkeletonAppObject> = {}): SkeletonAppObject => ({
  apiVersion: EXAMPLE_SKELETON_APP.apiVersion,
  kind: 'SkeletonApp',
  metadata: { name: 'accounts', namespace: 'identity', uid: 'uid-1', generation: 1, resourceVersion: '7' },
  spec: EXAMPLE_SKELETON_APP.spec,
  ...overrides,
});

test('a second pass over an unchanged world writes nothing', async (t) => {
  const w = world(app({ metadata: { ...app().metadata, finalizers: [FINALIZER] } }));
  await w.reconcile('identity/accounts');
  t.true(w.writes.includes('apply Deployment/accounts'));
  t.true(w.writes.includes('status'));
  w.writes.length = 0;
  w.events.length = 0;
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, []);
  t.deepEqual(w.events, []);
});

test('the finalizer is added before anything is created', async (t) => {
  const w = world(app());
  await w.reconcile('identity/accounts');
  t.is(w.writes[0], `finalizers ${JSON.stringify([FINALIZER])}`);
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

test('a deleted app with the finalizer: the deletion is recorded and the finalizer removed', async (t) => {
  const w = world(
    app({
      metadata: { ...app().metadata, finalizers: ['other', FINALIZER], deletionTimestamp: NOW.toISOString() },
    }),
  );
  await w.reconcile('identity/accounts');
  t.deepEqual(w.writes, ['finalizers ["other"]'], 'only ours is removed');
  t.deepEqual(w.events, ['Normal/Deleted']);
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
