import { readFileSync } from 'node:fs';
import { skeletonAppStatusSchema } from '@skeleton/charts';
import { Ajv } from 'ajv';
import test from 'ava';
import { parse as parseYaml } from 'yaml';
import {
  type Condition,
  findCondition,
  isFalse,
  isTrue,
  setCondition,
  toKubeTime,
} from '../src/status/conditions.js';
import {
  computeStatus,
  type DeploymentObservation,
  type SkeletonAppCondition,
  type SkeletonAppConditionType,
  type SkeletonAppStatus,
  type StatusInput,
  statusChanged,
} from '../src/status/skeleton-app-status.js';

const T0 = new Date('2025-01-01T00:00:00.123Z');
const T1 = new Date('2025-01-01T00:05:00.456Z');
const T2 = new Date('2025-01-01T01:00:00.000Z');

const IMAGE = 'ghcr.io/example/app:1.2.3';

function healthyDeployment(overrides: Partial<DeploymentObservation> = {}): DeploymentObservation {
  return {
    generation: 4,
    observedGeneration: 4,
    replicas: 3,
    readyReplicas: 3,
    updatedReplicas: 3,
    availableReplicas: 3,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'done' },
    ],
    image: IMAGE,
    ...overrides,
  };
}

function input(overrides: Partial<StatusInput> = {}): StatusInput {
  return {
    generation: 7,
    desiredImage: IMAGE,
    deployment: healthyDeployment(),
    expectedReplicas: 3,
    monitoring: { requested: false, apiAvailable: false },
    ...overrides,
  };
}

function cond(status: SkeletonAppStatus, type: SkeletonAppConditionType): SkeletonAppCondition {
  const c = findCondition(status.conditions, type);
  if (c === undefined) throw new Error(`no ${type} condition`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// conditions.ts

test('setCondition appends a new type with lastTransitionTime = now (whole seconds) and observedGeneration', (t) => {
  const out = setCondition<string>(
    undefined,
    { type: 'Ready', status: 'True', reason: 'Available', message: 'm' },
    T0,
    3,
  );
  t.deepEqual(out, [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: 'm',
      lastTransitionTime: '2025-01-01T00:00:00Z',
      observedGeneration: 3,
    },
  ]);
});

test('setCondition keeps lastTransitionTime when status is unchanged but updates reason, message, observedGeneration in place', (t) => {
  const before = setCondition<string>(
    [],
    { type: 'Ready', status: 'False', reason: 'RollingOut', message: 'a' },
    T0,
    1,
  );
  const after = setCondition(
    before,
    { type: 'Ready', status: 'False', reason: 'NoReadyReplicas', message: 'b' },
    T1,
    2,
  );
  t.deepEqual(after, [
    {
      type: 'Ready',
      status: 'False',
      reason: 'NoReadyReplicas',
      message: 'b',
      lastTransitionTime: '2025-01-01T00:00:00Z',
      observedGeneration: 2,
    },
  ]);
});

test('setCondition moves lastTransitionTime when status changes', (t) => {
  const before = setCondition<string>(
    [],
    { type: 'Ready', status: 'False', reason: 'RollingOut', message: '' },
    T0,
  );
  const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Available', message: '' }, T1);
  t.is(after[0]?.lastTransitionTime, '2025-01-01T00:05:00Z');
  const unknown = setCondition(after, { type: 'Ready', status: 'Unknown', reason: 'X', message: '' }, T2);
  t.is(unknown[0]?.lastTransitionTime, '2025-01-01T01:00:00Z');
});

test('setCondition keeps existing positions, appends new types, and does not mutate its input', (t) => {
  const initial: Condition[] = [
    { type: 'A', status: 'True', reason: 'R', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
    { type: 'B', status: 'True', reason: 'R', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
  ];
  const snapshot = structuredClone(initial);
  const updated = setCondition(initial, { type: 'A', status: 'False', reason: 'S', message: 'x' }, T0);
  const appended = setCondition(updated, { type: 'C', status: 'True', reason: 'R', message: '' }, T0);
  t.deepEqual(
    appended.map((c) => c.type),
    ['A', 'B', 'C'],
  );
  t.is(appended[0]?.status, 'False');
  t.deepEqual(initial, snapshot);
  t.not(updated, initial);
});

test('setCondition without observedGeneration drops a previous one', (t) => {
  const before = setCondition<string>([], { type: 'A', status: 'True', reason: 'R', message: '' }, T0, 5);
  const after = setCondition(before, { type: 'A', status: 'True', reason: 'R', message: '' }, T1);
  t.false('observedGeneration' in (after[0] ?? {}));
});

test('findCondition, isTrue and isFalse look conditions up by type', (t) => {
  const list = setCondition(
    setCondition<string>([], { type: 'A', status: 'True', reason: 'R', message: '' }, T0),
    { type: 'B', status: 'False', reason: 'R', message: '' },
    T0,
  );
  t.is(findCondition(list, 'B')?.status, 'False');
  t.is(findCondition(list, 'C'), undefined);
  t.true(isTrue(list, 'A'));
  t.false(isTrue(list, 'B'));
  t.false(isTrue(list, 'C'));
  t.true(isFalse(list, 'B'));
  t.false(isFalse(undefined, 'B'));
});

test('toKubeTime formats RFC 3339 UTC at second precision like metav1.Time', (t) => {
  t.is(toKubeTime(new Date('2025-06-07T08:09:10.999Z')), '2025-06-07T08:09:10Z');
});

// ---------------------------------------------------------------------------------------------
// Progressing

test('Progressing is True/RollingOut while the Deployment has not observed its latest generation', (t) => {
  const s = computeStatus(
    input({ deployment: healthyDeployment({ generation: 5, observedGeneration: 4 }) }),
    T0,
  );
  t.like(cond(s, 'Progressing'), { status: 'True', reason: 'RollingOut' });
});

test('Progressing is True/RollingOut while updated replicas are below expected', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ updatedReplicas: 2 }) }), T0);
  t.like(cond(s, 'Progressing'), { status: 'True', reason: 'RollingOut' });
});

test('Progressing is True/RollingOut while ready replicas are below expected', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ readyReplicas: 1 }) }), T0);
  t.like(cond(s, 'Progressing'), { status: 'True', reason: 'RollingOut' });
});

test('Progressing is True/RollingOut while old-ReplicaSet pods remain', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ replicas: 4 }) }), T0);
  t.like(cond(s, 'Progressing'), { status: 'True', reason: 'RollingOut' });
});

test('Progressing is False/RolloutComplete when the rollout is done', (t) => {
  const s = computeStatus(input(), T0);
  t.like(cond(s, 'Progressing'), { status: 'False', reason: 'RolloutComplete', observedGeneration: 7 });
});

test('Progressing is Unknown/DeploymentMissing without a Deployment', (t) => {
  const s = computeStatus(input({ deployment: undefined }), T0);
  t.like(cond(s, 'Progressing'), { status: 'Unknown', reason: 'DeploymentMissing' });
});

// ---------------------------------------------------------------------------------------------
// Degraded

test('Degraded is True/ProgressDeadlineExceeded with the Deployment message', (t) => {
  const message = 'ReplicaSet "app-5d9" has timed out progressing.';
  const s = computeStatus(
    input({
      deployment: healthyDeployment({
        readyReplicas: 0,
        updatedReplicas: 1,
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message },
        ],
      }),
    }),
    T0,
  );
  t.like(cond(s, 'Degraded'), { status: 'True', reason: 'ProgressDeadlineExceeded', message });
});

test('Degraded is True/ReplicaFailure when the Deployment reports ReplicaFailure True', (t) => {
  const message = 'pods "app-x" is forbidden: exceeded quota: compute';
  const s = computeStatus(
    input({
      deployment: healthyDeployment({
        conditions: [
          { type: 'Available', status: 'True' },
          { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message },
        ],
      }),
    }),
    T0,
  );
  t.like(cond(s, 'Degraded'), { status: 'True', reason: 'ReplicaFailure', message });
});

test('Degraded is False/AsExpected otherwise (including a Progressing False of another reason and no Deployment)', (t) => {
  t.like(cond(computeStatus(input(), T0), 'Degraded'), { status: 'False', reason: 'AsExpected' });
  const other = healthyDeployment({
    conditions: [
      { type: 'Available', status: 'True' },
      { type: 'Progressing', status: 'False', reason: 'SomethingElse' },
      { type: 'ReplicaFailure', status: 'False' },
    ],
  });
  t.like(cond(computeStatus(input({ deployment: other }), T0), 'Degraded'), {
    status: 'False',
    reason: 'AsExpected',
  });
  t.like(cond(computeStatus(input({ deployment: undefined }), T0), 'Degraded'), {
    status: 'False',
    reason: 'AsExpected',
  });
});

// ---------------------------------------------------------------------------------------------
// Ready

test('Ready is True/Available when Available, generation observed, a replica ready and not progressing', (t) => {
  const s = computeStatus(input(), T0);
  t.like(cond(s, 'Ready'), { status: 'True', reason: 'Available', observedGeneration: 7 });
  t.is(s.phase, 'Available');
});

test('Ready is False/RollingOut during a rollout, even while the Deployment is Available', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ updatedReplicas: 1 }) }), T0);
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'RollingOut' });
});

test('Ready is False/RollingOut while the Deployment runs another image than the desired one', (t) => {
  const s = computeStatus(
    input({ deployment: healthyDeployment({ image: 'ghcr.io/example/app:6.6.6' }) }),
    T0,
  );
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'RollingOut' });
  t.like(cond(s, 'Progressing'), { status: 'True', reason: 'RollingOut' });
  t.regex(
    cond(s, 'Progressing').message,
    /runs ghcr\.io\/example\/app:6\.6\.6, not ghcr\.io\/example\/app:1\.2\.3/,
  );
});

test('Ready is False/RollingOut until every expected replica is available, not only ready', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ availableReplicas: 2 }) }), T0);
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'RollingOut' });
  t.regex(cond(s, 'Progressing').message, /2 available/);
});

test('Ready is False/RollingOut when the Deployment has not observed its generation', (t) => {
  const s = computeStatus(input({ deployment: healthyDeployment({ generation: 5 }) }), T0);
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'RollingOut' });
});

test('Ready is False/NoReadyReplicas when nothing is ready and nothing rolls out', (t) => {
  const s = computeStatus(
    input({
      expectedReplicas: 0,
      deployment: healthyDeployment({
        replicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      }),
    }),
    T0,
  );
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'NoReadyReplicas' });
  t.is(s.ready, '0/0');
});

test('Ready is False/DeploymentMissing without a Deployment', (t) => {
  const s = computeStatus(input({ deployment: undefined }), T0);
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'DeploymentMissing' });
  t.is(s.phase, 'DeploymentMissing');
});

test('Ready is False/Degraded with the failure message when the rollout is stuck', (t) => {
  const message = 'ReplicaSet "app-5d9" has timed out progressing.';
  const s = computeStatus(
    input({
      deployment: healthyDeployment({
        updatedReplicas: 1,
        readyReplicas: 2,
        conditions: [
          { type: 'Available', status: 'True' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message },
        ],
      }),
    }),
    T0,
  );
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'Degraded', message });
  t.is(s.phase, 'Degraded');
});

test('Ready is False/DeploymentUnavailable when settled but the Deployment is not Available', (t) => {
  const s = computeStatus(
    input({
      deployment: healthyDeployment({
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'min' },
        ],
      }),
    }),
    T0,
  );
  t.like(cond(s, 'Ready'), { status: 'False', reason: 'DeploymentUnavailable', message: 'min' });
});

// ---------------------------------------------------------------------------------------------
// MonitoringAvailable

test('MonitoringAvailable is False/NotRequested when no ServiceMonitor is requested', (t) => {
  const s = computeStatus(input({ monitoring: { requested: false, apiAvailable: true } }), T0);
  t.like(cond(s, 'MonitoringAvailable'), { status: 'False', reason: 'NotRequested' });
});

test('MonitoringAvailable is False/ServiceMonitorAPIMissing with install guidance when the CRD is absent', (t) => {
  const s = computeStatus(input({ monitoring: { requested: true, apiAvailable: false } }), T0);
  const c = cond(s, 'MonitoringAvailable');
  t.like(c, { status: 'False', reason: 'ServiceMonitorAPIMissing' });
  t.regex(c.message, /Install the Prometheus Operator CRDs/);
  t.regex(c.message, /once it appears, without a restart/);
});

test('MonitoringAvailable is True/ServiceMonitorCreated when requested and the API is served', (t) => {
  const s = computeStatus(input({ monitoring: { requested: true, apiAvailable: true } }), T0);
  t.like(cond(s, 'MonitoringAvailable'), { status: 'True', reason: 'ServiceMonitorCreated' });
});

// ---------------------------------------------------------------------------------------------
// Top-level fields

test('status fields: observedGeneration, readyReplicas, ready, phase, desiredImage, currentImage', (t) => {
  const s = computeStatus(
    input({
      generation: 9,
      desiredImage: 'ghcr.io/example/app:2.0.0',
      expectedReplicas: 3,
      deployment: healthyDeployment({ readyReplicas: 2, image: IMAGE }),
    }),
    T0,
  );
  t.like(s, {
    observedGeneration: 9,
    readyReplicas: 2,
    ready: '2/3',
    phase: 'RollingOut',
    desiredImage: 'ghcr.io/example/app:2.0.0',
  });
  const missing = computeStatus(input({ deployment: undefined }), T0);
  t.like(missing, { readyReplicas: 0, ready: '0/3' });
  t.false('currentImage' in missing);
});

test('currentImage is the image a finished rollout runs; during a rollout the previous one stays', (t) => {
  const NEXT = 'ghcr.io/example/app:2.0.0';
  const settledOld = computeStatus(input(), T0);
  t.is(settledOld.currentImage, IMAGE);
  const rolling = computeStatus(
    input({
      desiredImage: NEXT,
      previous: settledOld,
      deployment: healthyDeployment({ image: NEXT, updatedReplicas: 1, replicas: 4 }),
    }),
    T1,
  );
  t.is(rolling.currentImage, IMAGE, 'the old image serves until the rollout has finished');
  const unobserved = computeStatus(
    input({
      desiredImage: NEXT,
      previous: settledOld,
      deployment: healthyDeployment({ image: NEXT, generation: 5 }),
    }),
    T1,
  );
  t.is(unobserved.currentImage, IMAGE, 'counts of an unobserved generation describe the old template');
  const done = computeStatus(
    input({ desiredImage: NEXT, previous: rolling, deployment: healthyDeployment({ image: NEXT }) }),
    T2,
  );
  t.is(done.currentImage, NEXT);
  const firstRollout = computeStatus(input({ deployment: healthyDeployment({ readyReplicas: 0 }) }), T0);
  t.false('currentImage' in firstRollout, 'nothing serves before the first rollout finished');
});

test('currentKeyId, lastRotationTime, MigrationSucceeded and KeysRotated are carried over from previous untouched', (t) => {
  const migration: SkeletonAppCondition = {
    type: 'MigrationSucceeded',
    status: 'True',
    reason: 'Completed',
    message: 'migrated to v3',
    lastTransitionTime: '2024-12-01T00:00:00Z',
    observedGeneration: 2,
  };
  const keys: SkeletonAppCondition = {
    type: 'KeysRotated',
    status: 'False',
    reason: 'RotationPending',
    message: 'waiting',
    lastTransitionTime: '2024-12-02T00:00:00Z',
  };
  const previous: SkeletonAppStatus = {
    conditions: [migration, keys],
    currentKeyId: 'k-2024-12',
    lastRotationTime: '2024-12-02T00:00:00Z',
  };
  const s = computeStatus(input({ previous }), T0);
  t.is(s.currentKeyId, 'k-2024-12');
  t.is(s.lastRotationTime, '2024-12-02T00:00:00Z');
  t.deepEqual(s.conditions?.[0], migration);
  t.deepEqual(s.conditions?.[1], keys);
  t.deepEqual(
    s.conditions?.map((c) => c.type),
    ['MigrationSucceeded', 'KeysRotated', 'Ready', 'Progressing', 'Degraded', 'MonitoringAvailable'],
  );
});

// ---------------------------------------------------------------------------------------------
// Transitions and idempotence

test('lastTransitionTime moves only for conditions whose status changed across reconciles', (t) => {
  const rolling = computeStatus(input({ deployment: healthyDeployment({ readyReplicas: 1 }) }), T0);
  t.like(cond(rolling, 'Ready'), { status: 'False', lastTransitionTime: '2025-01-01T00:00:00Z' });
  const done = computeStatus(input({ previous: rolling }), T1);
  t.like(cond(done, 'Ready'), { status: 'True', lastTransitionTime: '2025-01-01T00:05:00Z' });
  t.like(cond(done, 'Progressing'), { status: 'False', lastTransitionTime: '2025-01-01T00:05:00Z' });
  // Degraded and MonitoringAvailable did not change status: their times stay.
  t.is(cond(done, 'Degraded').lastTransitionTime, '2025-01-01T00:00:00Z');
  t.is(cond(done, 'MonitoringAvailable').lastTransitionTime, '2025-01-01T00:00:00Z');
  // A new generation with the same statuses updates observedGeneration in place and keeps the time.
  const gen8 = computeStatus(input({ previous: done, generation: 8 }), T2);
  t.like(cond(gen8, 'Ready'), { observedGeneration: 8, lastTransitionTime: '2025-01-01T00:05:00Z' });
});

test('computing twice with the same input and a later now is deep-equal, and statusChanged is false', (t) => {
  for (const base of [
    input(),
    input({ deployment: undefined }),
    input({
      deployment: healthyDeployment({ readyReplicas: 1 }),
      monitoring: { requested: true, apiAvailable: false },
    }),
  ]) {
    const first = computeStatus(base, T0);
    const second = computeStatus({ ...base, previous: first }, T2);
    const third = computeStatus({ ...base, previous: second }, new Date(T2.getTime() + 86_400_000));
    t.deepEqual(second, first);
    t.deepEqual(third, first);
    t.false(statusChanged(first, second));
  }
});

test('statusChanged detects real changes and ignores key order and undefined properties', (t) => {
  const a = computeStatus(input(), T0);
  const b = computeStatus(
    { ...input({ deployment: healthyDeployment({ readyReplicas: 2 }) }), previous: a },
    T1,
  );
  t.true(statusChanged(a, b));
  t.true(statusChanged(undefined, a));
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as SkeletonAppStatus;
  t.false(statusChanged(a, { ...reordered, currentKeyId: undefined }));
});

// ---------------------------------------------------------------------------------------------
// Schema validity

const scenarios: Record<string, StatusInput> = {
  healthy: input(),
  missing: input({ deployment: undefined }),
  rolling: input({ deployment: healthyDeployment({ generation: 9, updatedReplicas: 1 }) }),
  stuck: input({
    deployment: healthyDeployment({
      readyReplicas: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x' },
      ],
    }),
    monitoring: { requested: true, apiAvailable: false },
  }),
  carriedOver: input({
    previous: {
      currentKeyId: 'k1',
      lastRotationTime: '2024-12-02T00:00:00Z',
      conditions: [
        {
          type: 'KeysRotated',
          status: 'True',
          reason: 'Rotated',
          message: '',
          lastTransitionTime: '2024-12-02T00:00:00Z',
        },
      ],
    },
    monitoring: { requested: true, apiAvailable: true },
  }),
};

test('computed statuses validate against skeletonAppStatusSchema', (t) => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    const result = skeletonAppStatusSchema.safeParse(computeStatus(scenario, T0));
    t.true(result.success, `${name}: ${JSON.stringify(result.error)}`);
  }
});

test('computed statuses validate against the status schema of the synthesized CRD', (t) => {
  const crd = parseYaml(
    readFileSync(new URL('../../charts/dist/skeletonapp-crd.yaml', import.meta.url), 'utf8'),
  ) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { status: object } } } }[] };
  };
  const statusSchema = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.status;
  t.truthy(statusSchema);
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(statusSchema as object);
  for (const [name, scenario] of Object.entries(scenarios)) {
    t.true(validate(computeStatus(scenario, T0)), `${name}: ${JSON.stringify(validate.errors)}`);
  }
});
