import test from 'ava';
import { mergePatchFor } from '../src/reconcile/status-patch.js';
import { mergePatch } from './support/kube-fake/patches.js';

/** mergePatchFor: the /status merge patch the operator sends, checked by applying it as RFC 7386 does. */

const READY = {
  type: 'Ready',
  status: 'True',
  reason: 'Available',
  message: '2 replicas ready.',
  lastTransitionTime: '2025-01-01T00:00:00Z',
};
const DEGRADED = {
  type: 'Degraded',
  status: 'False',
  reason: 'AsExpected',
  message: 'ok',
  lastTransitionTime: '2025-01-01T00:00:00Z',
};

const PREVIOUS = {
  observedGeneration: 3,
  conditions: [READY, DEGRADED],
  currentImage: 'registry.example.com/skeleton-api:1.4.1',
  currentKeyId: 'k1',
  phase: 'Available',
};

test('without a previous status the patch is the next status', (t) => {
  const next = { observedGeneration: 1, phase: 'DeploymentMissing' };
  t.deepEqual(mergePatchFor(undefined, next), next);
});

test('a field the next status drops is named with null, the only way a merge patch removes it', (t) => {
  const { currentImage: _dropped, ...next } = PREVIOUS;
  t.deepEqual(mergePatchFor(PREVIOUS, next), { ...next, currentImage: null });
});

test('the conditions array is sent whole, so a condition left out disappears', (t) => {
  const next = { ...PREVIOUS, conditions: [{ ...READY, status: 'False', reason: 'RollingOut' }] };
  const patch = mergePatchFor(PREVIOUS, next);
  t.deepEqual(patch.conditions, next.conditions);
  t.deepEqual(mergePatch(PREVIOUS, patch), next);
});

test('applied by the API server, the patch turns the previous status into the next', (t) => {
  // A status computed for an invalid spec: phase changes, currentKeyId stays, currentImage goes.
  const next = {
    observedGeneration: 4,
    conditions: [{ ...READY, status: 'False', reason: 'InvalidSpec' }, DEGRADED],
    currentKeyId: 'k1',
    phase: 'InvalidSpec',
    ready: '0/2',
  };
  t.deepEqual(mergePatch(PREVIOUS, mergePatchFor(PREVIOUS, next)), next);
});

test('the inputs are not mutated', (t) => {
  const previous = structuredClone(PREVIOUS);
  const next = { phase: 'Available' };
  mergePatchFor(previous, next);
  t.deepEqual(previous, PREVIOUS);
  t.deepEqual(next, { phase: 'Available' });
});

test('a nested field the next status drops is removed by naming it null', (t) => {
  t.deepEqual(mergePatchFor({ keys: { current: 'k2', previous: 'k1' } }, { keys: { current: 'k2' } }), {
    keys: { current: 'k2', previous: null },
  });
});
