import {
  EXAMPLE_SKELETON_APP,
  type KubernetesObject,
  SKELETON_APP_API_VERSION,
  type SkeletonAppSpec,
  type SkeletonAppSpecInput,
} from '@skeleton/charts';
import test from 'ava';
import {
  APPLIED_HASH_ANNOTATION,
  applyOutcome,
  type DesiredContext,
  desiredObjects,
  holdsDesired,
  isUpToDate,
  keySetSecretName,
  parseSpec,
} from '../src/reconcile/desired-state.js';

/** desired-state: reading a SkeletonApp's spec, and what the operator applies for it. */

const APP = { name: 'accounts', namespace: 'identity', uid: '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7' };
const CONTEXT: DesiredContext = {
  approvedImage: EXAMPLE_SKELETON_APP.spec.image,
  serviceMonitorAvailable: true,
};

function specOf(changes: Partial<SkeletonAppSpecInput> = {}): SkeletonAppSpec {
  const parsed = parseSpec({ spec: { ...EXAMPLE_SKELETON_APP.spec, ...changes } });
  if (!parsed.ok) throw new Error(`invalid spec: ${JSON.stringify(parsed.problems)}`);
  return parsed.spec;
}

const hashOf = (object: KubernetesObject | undefined) =>
  object?.metadata.annotations?.[APPLIED_HASH_ANNOTATION];

/** Each object's hash by kind/name, so two renderings can be compared object by object. */
const hashes = (objects: KubernetesObject[]) =>
  Object.fromEntries(objects.map((object) => [`${object.kind}/${object.metadata.name}`, hashOf(object)]));

function objectOfKind(objects: KubernetesObject[], kind: string): KubernetesObject {
  const found = objects.find((object) => object.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found;
}

test('parseSpec: the published example parses, with the schema defaults applied', (t) => {
  const parsed = parseSpec(EXAMPLE_SKELETON_APP);
  t.true(parsed.ok);
  if (!parsed.ok) return;
  t.is(parsed.spec.image, EXAMPLE_SKELETON_APP.spec.image);
  t.deepEqual(parsed.spec.service, { port: 80 });
  t.is(parsed.spec.jwt.previousKeyRetention, '1h');
});

test('parseSpec: a rejected field is reported at its spec.-prefixed path', (t) => {
  t.deepEqual(parseSpec({ spec: { ...EXAMPLE_SKELETON_APP.spec, image: 'no-tag' } }), {
    ok: false,
    problems: [{ path: 'spec.image', message: 'must be an image reference with a tag or a sha256 digest' }],
  });
});

test('parseSpec: a nested field is named by its full path', (t) => {
  const parsed = parseSpec({
    spec: { ...EXAMPLE_SKELETON_APP.spec, database: { secretRef: { name: 'Not_A_Name', key: 'url' } } },
  });
  t.deepEqual(parsed.ok ? [] : parsed.problems.map((problem) => problem.path), [
    'spec.database.secretRef.name',
  ]);
});

test('parseSpec: a cross-field rule is reported at the object it relates', (t) => {
  t.deepEqual(parseSpec({ spec: { ...EXAMPLE_SKELETON_APP.spec, replicas: { min: 5, max: 2 } } }), {
    ok: false,
    problems: [{ path: 'spec.replicas', message: 'replicas.min must not exceed replicas.max' }],
  });
});

test('parseSpec: an app without a spec is reported field by field, never thrown', (t) => {
  const parsed = parseSpec({ metadata: { name: 'accounts' } });
  t.deepEqual(parsed.ok ? [] : parsed.problems.map((problem) => problem.path), [
    'spec.image',
    'spec.database',
  ]);
});

test('parseSpec: an app whose name its Services cannot carry is refused at metadata.name', (t) => {
  for (const name of ['web.v2', '1web', 'a'.repeat(56), 'a'.repeat(70)]) {
    const parsed = parseSpec({ metadata: { name }, spec: EXAMPLE_SKELETON_APP.spec });
    t.deepEqual(parsed.ok ? [] : parsed.problems.map((problem) => problem.path), ['metadata.name'], name);
    t.regex(parsed.ok ? '' : (parsed.problems[0]?.message ?? ''), /DNS-1035 label of at most 55 characters/);
  }
  t.true(parseSpec({ metadata: { name: 'a'.repeat(55) }, spec: EXAMPLE_SKELETON_APP.spec }).ok);
});

test('every desired object carries the applied-hash annotation', (t) => {
  const objects = desiredObjects(APP, specOf(), CONTEXT);
  t.true(objects.length > 0);
  for (const object of objects) t.regex(hashOf(object) ?? '', /^[0-9a-f]{16}$/, object.kind);
});

test('every desired object is controlled by the app, referenced by its uid', (t) => {
  for (const object of desiredObjects(APP, specOf(), CONTEXT)) {
    t.deepEqual(
      object.metadata.ownerReferences,
      [
        {
          apiVersion: SKELETON_APP_API_VERSION,
          kind: 'SkeletonApp',
          name: APP.name,
          uid: APP.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      object.kind,
    );
  }
});

test('identical input gives identical objects and hashes, so a resync writes nothing', (t) => {
  t.deepEqual(desiredObjects(APP, specOf(), CONTEXT), desiredObjects(APP, specOf(), CONTEXT));
});

test('a spec change changes the hash of exactly the objects it changes', (t) => {
  const before = hashes(desiredObjects(APP, specOf(), CONTEXT));
  const changedBy = (spec: SkeletonAppSpec) => {
    const after = hashes(desiredObjects(APP, spec, CONTEXT));
    return Object.keys(before).filter((key) => before[key] !== after[key]);
  };
  // Under autoscaling, replicas.max lives in the HPA, and in the pods' RATE_LIMIT_REPLICAS only
  // rounded up to a power of two: 10 and 12 are both 16, so the pods do not roll.
  t.deepEqual(changedBy(specOf({ replicas: { min: 2, max: 12 } })), ['HorizontalPodAutoscaler/accounts']);
  t.deepEqual(changedBy(specOf({ replicas: { min: 2, max: 20 } })), [
    'Deployment/accounts',
    'HorizontalPodAutoscaler/accounts',
  ]);
});

test('a newly approved image changes the Deployment hash', (t) => {
  const before = objectOfKind(desiredObjects(APP, specOf(), CONTEXT), 'Deployment');
  const after = objectOfKind(
    desiredObjects(APP, specOf(), { ...CONTEXT, approvedImage: 'registry.example.com/skeleton-api:1.5.0' }),
    'Deployment',
  );
  t.not(hashOf(after), hashOf(before));
});

test('the Deployment mounts the key set from the Secret keySetSecretName names', (t) => {
  t.is(keySetSecretName('accounts'), 'accounts-jwt-keys');
  const deployment = objectOfKind(
    desiredObjects(APP, specOf(), CONTEXT),
    'Deployment',
  ) as KubernetesObject & {
    spec: { template: { spec: { volumes: { secret?: { secretName: string } }[] } } };
  };
  const secrets = deployment.spec.template.spec.volumes.flatMap((volume) => volume.secret?.secretName ?? []);
  t.deepEqual(secrets, ['accounts-jwt-keys']);
});

test('isUpToDate: the live object carries the hash, at the resourceVersion our last apply returned', (t) => {
  const desired = objectOfKind(desiredObjects(APP, specOf(), CONTEXT), 'Service');
  const live = (hash: string, resourceVersion = '7') => ({
    metadata: { resourceVersion, annotations: { [APPLIED_HASH_ANNOTATION]: hash } },
  });
  const hash = hashOf(desired) ?? '';
  t.true(isUpToDate(desired, live(hash), '7'));
  t.false(isUpToDate(desired, live(hash, '8'), '7'), 'changed by someone else since our apply: fields gone');
  t.false(isUpToDate(desired, live(hash), undefined), 'not applied by this operator yet, fields gone');
  const intact = { ...structuredClone(desired), metadata: { ...desired.metadata, resourceVersion: '8' } };
  t.true(isUpToDate(desired, intact, '7'), 'written by someone else since, every field of ours intact');
  t.true(isUpToDate(desired, intact, undefined), 'a new leader finds it intact');
  t.false(isUpToDate(desired, live('0000000000000000'), '7'), 'applied from another configuration');
  t.false(isUpToDate(desired, { metadata: { annotations: {} } }, '7'), 'never applied by the operator');
  t.false(isUpToDate(desired, {}, '7'), 'no metadata at all');
  t.false(isUpToDate(desired, undefined, '7'), 'not there yet');
});

test('applyOutcome: created, updated, drift corrected, or unchanged', (t) => {
  const desired = objectOfKind(desiredObjects(APP, specOf(), CONTEXT), 'Service');
  const exact = structuredClone(desired) as KubernetesObject & { metadata: { resourceVersion?: string } };
  exact.metadata.resourceVersion = '7';
  const drifted = structuredClone(exact) as typeof exact & { spec: { selector: Record<string, string> } };
  drifted.spec.selector = { other: 'pods' };
  const reconfigured = structuredClone(drifted);
  reconfigured.metadata.annotations = { [APPLIED_HASH_ANNOTATION]: '0000000000000000' };
  t.is(applyOutcome(desired, undefined, '1'), 'created');
  t.is(applyOutcome(desired, exact, '7'), 'unchanged', 'the server stored nothing new');
  t.is(
    applyOutcome(desired, exact, '9'),
    'unchanged',
    'a newer version from someone else, with our fields intact',
  );
  t.is(applyOutcome(desired, drifted, '9'), 'drift_corrected', 'same configuration, a field of ours changed');
  t.is(applyOutcome(desired, reconfigured, '9'), 'updated', 'a new configuration');
});

test('holdsDesired: every field we set has our value; what others added beside them does not matter', (t) => {
  const desired = { spec: { ports: [{ port: 80 }], selector: { app: 'a' } } };
  t.true(
    holdsDesired(desired, {
      spec: { ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'a' }, type: 'ClusterIP' },
    }),
  );
  t.false(
    holdsDesired(desired, { spec: { ports: [{ port: 81 }], selector: { app: 'a' } } }),
    'a value changed',
  );
  t.false(
    holdsDesired(desired, { spec: { ports: [{ port: 80 }, { port: 9 }], selector: { app: 'a' } } }),
    'an item added',
  );
  t.false(holdsDesired(desired, { spec: { ports: [{ port: 80 }] } }), 'a field removed');
  t.false(
    holdsDesired(desired, { spec: { ports: { port: 80 }, selector: { app: 'a' } } }),
    'a list turned map',
  );
  t.false(holdsDesired({ a: {} }, { a: null }));
});

test('isUpToDate: an object without a hash is never up to date, even against an unannotated live one', (t) => {
  const desired: KubernetesObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'accounts' } };
  t.false(isUpToDate(desired, { metadata: {} }, undefined));
});
