import { EXAMPLE_SKELETON_APP } from '@skeleton/charts';
import test from 'ava';
import type { SkeletonAppObject } from '../src/reconcile/desired-state.js';
import { createReconciler, LEGACY_FINALIZER } from '../src/reconcile/reconciler.js';

/**
 * Every call a pass makes to the API server gets the pass's signal: the work queue aborts it when the
 * pass outlives its timeout, and a call made without it would go on after the pass was given up.
 */
test('every request of a pass carries the signal the pass was given', async (t) => {
  const now = new Date('2026-11-25T12:00:00Z');
  const calls: [string, unknown][] = [];
  let app: SkeletonAppObject = {
    apiVersion: EXAMPLE_SKELETON_APP.apiVersion,
    kind: 'SkeletonApp',
    // An older operator's finalizer, which the pass removes.
    metadata: {
      name: 'accounts',
      namespace: 'identity',
      uid: 'uid-1',
      generation: 1,
      finalizers: [LEGACY_FINALIZER],
    },
    spec: EXAMPLE_SKELETON_APP.spec,
  };
  const reconcile = createReconciler({
    view: {
      app: () => app,
      child: () => undefined,
      // A child the spec does not ask for, so the pass removes it.
      owned: () => [
        { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, object: { metadata: { name: 'stale' } } },
      ],
      secret: () => undefined,
      keySetCopy: () => undefined,
    },
    writer: {
      async apply(object, signal) {
        calls.push(['apply', signal]);
        return object;
      },
      async writeKeySet(object, _resourceVersion, signal) {
        calls.push(['writeKeySet', signal]);
        return object;
      },
      async remove(_kind, _object, signal) {
        calls.push(['remove', signal]);
      },
      async setFinalizers(target, finalizers, signal) {
        calls.push(['setFinalizers', signal]);
        app = { ...target, metadata: { ...target.metadata, finalizers } };
        return app;
      },
      async patchStatus(target, _previous, _next, signal) {
        calls.push(['patchStatus', signal]);
        return target;
      },
    },
    events: {
      async record(_subject, _type, _reason, _note, signal) {
        calls.push(['event', signal]);
      },
      forget: () => {},
    },
    serviceMonitorAvailable: () => false,
    rotationTiming: { propagationDelayMs: 60_000, jwksCacheMs: 300_000, clockSkewMs: 60_000 },
    clock: () => now,
    log: () => {},
  });
  const { signal } = new AbortController();
  await reconcile('identity/accounts', signal);
  app = { ...app, metadata: { ...app.metadata, deletionTimestamp: now.toISOString() } };
  await reconcile('identity/accounts', signal);
  t.deepEqual(
    [...new Set(calls.map(([call]) => call))].sort(),
    ['apply', 'event', 'patchStatus', 'remove', 'setFinalizers', 'writeKeySet'],
    'every kind of request was made',
  );
  t.deepEqual(
    calls.filter(([, given]) => given !== signal).map(([call]) => call),
    [],
    'and each with the signal',
  );
});
