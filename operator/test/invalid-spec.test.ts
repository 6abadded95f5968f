import test from 'ava';
import type { SpecProblem } from '../src/reconcile/desired-state.js';
import { invalidSpecStatus } from '../src/reconcile/invalid-spec.js';
import { findCondition } from '../src/status/conditions.js';
import type {
  SkeletonAppCondition,
  SkeletonAppConditionType,
  SkeletonAppStatus,
} from '../src/status/skeleton-app-status.js';

/** invalidSpecStatus: what an app whose spec cannot be read reports, and what it leaves alone. */

const T0 = '2025-01-01T00:00:00Z';
const NOW = new Date('2025-01-02T12:30:00.789Z');
const NOW_KUBE = '2025-01-02T12:30:00Z';

const PROBLEMS: SpecProblem[] = [
  { path: 'spec.image', message: 'must be an image reference with a tag or a sha256 digest' },
  { path: 'spec.replicas', message: 'replicas.min must not exceed replicas.max' },
];

const MESSAGE =
  'The spec is invalid: spec.image: must be an image reference with a tag or a sha256 digest; ' +
  'spec.replicas: replicas.min must not exceed replicas.max';

const condition = (
  type: SkeletonAppConditionType,
  status: SkeletonAppCondition['status'],
  reason: string,
): SkeletonAppCondition => ({
  type,
  status,
  reason,
  message: reason,
  lastTransitionTime: T0,
  observedGeneration: 3,
});

/** A healthy app's status, as the last valid spec left it. */
const HEALTHY: SkeletonAppStatus = {
  observedGeneration: 3,
  conditions: [
    condition('Ready', 'True', 'Available'),
    condition('Progressing', 'False', 'RolloutComplete'),
    condition('Degraded', 'False', 'AsExpected'),
    condition('MigrationSucceeded', 'True', 'Succeeded'),
  ],
  desiredImage: 'registry.example.com/skeleton-api:1.4.2',
  currentImage: 'registry.example.com/skeleton-api:1.4.2',
  readyReplicas: 2,
  ready: '2/2',
  phase: 'Available',
  currentKeyId: 'k1',
  lastRotationTime: T0,
};

function conditionOf(status: SkeletonAppStatus, type: SkeletonAppConditionType): SkeletonAppCondition {
  const found = findCondition(status.conditions, type);
  if (!found) throw new Error(`no ${type} condition`);
  return found;
}

test('Ready is False and Degraded True, both with reason InvalidSpec naming every field at fault', (t) => {
  const status = invalidSpecStatus(HEALTHY, 4, PROBLEMS, NOW);
  t.like(conditionOf(status, 'Ready'), { status: 'False', reason: 'InvalidSpec', message: MESSAGE });
  t.like(conditionOf(status, 'Degraded'), { status: 'True', reason: 'InvalidSpec', message: MESSAGE });
});

test('phase reads InvalidSpec and the status describes the new generation', (t) => {
  const status = invalidSpecStatus(HEALTHY, 4, PROBLEMS, NOW);
  t.is(status.phase, 'InvalidSpec');
  t.is(status.observedGeneration, 4);
  t.is(conditionOf(status, 'Ready').observedGeneration, 4);
  t.is(conditionOf(status, 'Degraded').observedGeneration, 4);
});

test('the other conditions and fields are kept: the children keep running as they were', (t) => {
  const {
    conditions,
    observedGeneration: _o,
    phase: _p,
    ...fields
  } = invalidSpecStatus(HEALTHY, 4, PROBLEMS, NOW);
  const { conditions: before, observedGeneration: _bo, phase: _bp, ...fieldsBefore } = HEALTHY;
  t.deepEqual(fields, fieldsBefore);
  t.deepEqual(
    conditions?.map((c) => c.type),
    before?.map((c) => c.type),
    'same conditions, same order',
  );
  t.deepEqual(conditionOf({ conditions }, 'Progressing'), conditionOf(HEALTHY, 'Progressing'));
  t.deepEqual(conditionOf({ conditions }, 'MigrationSucceeded'), conditionOf(HEALTHY, 'MigrationSucceeded'));
});

test('lastTransitionTime moves to now where the status flips', (t) => {
  const status = invalidSpecStatus(HEALTHY, 4, PROBLEMS, NOW);
  t.is(conditionOf(status, 'Ready').lastTransitionTime, NOW_KUBE);
  t.is(conditionOf(status, 'Degraded').lastTransitionTime, NOW_KUBE);
});

test('lastTransitionTime stays where the status already was False/True, even as the reason changes', (t) => {
  // An app that was rolling out and degraded, then had its spec broken: the statuses hold, only why changes.
  const previous: SkeletonAppStatus = {
    conditions: [
      condition('Ready', 'False', 'RollingOut'),
      condition('Degraded', 'True', 'ProgressDeadlineExceeded'),
    ],
  };
  const status = invalidSpecStatus(previous, 4, PROBLEMS, NOW);
  t.like(conditionOf(status, 'Ready'), { reason: 'InvalidSpec', lastTransitionTime: T0 });
  t.like(conditionOf(status, 'Degraded'), { reason: 'InvalidSpec', lastTransitionTime: T0 });
});

test('an app without a status gets Ready and Degraded, stamped now', (t) => {
  const status = invalidSpecStatus(undefined, 1, PROBLEMS, NOW);
  t.deepEqual(status, {
    observedGeneration: 1,
    phase: 'InvalidSpec',
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidSpec',
        message: MESSAGE,
        lastTransitionTime: NOW_KUBE,
        observedGeneration: 1,
      },
      {
        type: 'Degraded',
        status: 'True',
        reason: 'InvalidSpec',
        message: MESSAGE,
        lastTransitionTime: NOW_KUBE,
        observedGeneration: 1,
      },
    ],
  });
});

test('the previous status is not mutated', (t) => {
  const previous = structuredClone(HEALTHY);
  invalidSpecStatus(previous, 4, PROBLEMS, NOW);
  t.deepEqual(previous, HEALTHY);
});
