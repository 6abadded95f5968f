import test from 'ava';
import {
  compareObjects,
  difference,
  FieldSetError,
  fieldPaths,
  fieldSetOf,
  intersection,
  isEmpty,
  removeFields,
  union,
} from './support/kube-fake/field-sets.js';
import { listKeysAt } from './support/kube-fake/list-keys.js';
import {
  type ApplyOptions,
  type ApplyResult,
  apply,
  conflictMessage,
  recordUpdate,
} from './support/kube-fake/server-side-apply.js';
import type { KubeObject, ManagedFieldsEntry } from './support/kube-fake/types.js';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:01:00Z';
const T2 = '2024-01-01T00:02:00Z';

function opts(manager: string, now = T0, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { manager, force: false, now, apiVersion: 'apps/v1', ...extra };
}

function deployment(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', ...metadata },
    spec,
  };
}

function container(name: string, extra: Record<string, unknown> = {}) {
  return { name, image: `${name}:1`, ...extra };
}

function podSpec(containers: unknown[]) {
  return { template: { spec: { containers } } };
}

function ok(result: ApplyResult): KubeObject {
  if ('conflicts' in result) throw new Error(`unexpected conflicts ${JSON.stringify(result.conflicts)}`);
  return result.object;
}

function entry(object: KubeObject, manager: string, operation = 'Apply'): ManagedFieldsEntry | undefined {
  return object.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation);
}

/** What the store would add on create (the apply code leaves system fields alone). */
function stored(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, uid: 'u-1', resourceVersion: '1', generation: 1 } };
}

const spec = (o: KubeObject) =>
  o.spec as { replicas?: number; template: { spec: { containers: Array<Record<string, unknown>> } } };

// ---------------------------------------------------------------------------------------------------
// list keys and FieldsV1 encoding

test('listKeysAt knows the built-in associative lists', (t) => {
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'containers']), ['name']);
  t.deepEqual(listKeysAt(['spec', 'containers']), ['name']);
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'initContainers', 'ports']), [
    'containerPort',
    'protocol',
  ]);
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'containers', 'env']), ['name']);
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'containers', 'volumeMounts']), ['mountPath']);
  t.is(listKeysAt(['spec', 'template', 'spec', 'containers', 'envFrom']), 'atomic');
  t.is(listKeysAt(['spec', 'template', 'spec', 'containers', 'args']), 'atomic');
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'volumes']), ['name']);
  t.deepEqual(listKeysAt(['spec', 'ports']), ['port', 'protocol']);
  t.is(listKeysAt(['spec', 'ports'], 'SkeletonApp'), 'atomic');
  t.deepEqual(listKeysAt(['metadata', 'ownerReferences']), ['uid']);
  t.is(listKeysAt(['metadata', 'finalizers']), 'set');
  t.deepEqual(listKeysAt(['status', 'conditions']), ['type']);
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'topologySpreadConstraints']), [
    'topologyKey',
    'whenUnsatisfiable',
  ]);
  t.deepEqual(listKeysAt(['spec', 'template', 'spec', 'imagePullSecrets']), ['name']);
  t.is(listKeysAt(['spec', 'selector', 'matchExpressions']), 'atomic');
});

test('fieldSetOf encodes keyed items, sets and atomic lists exactly as Kubernetes writes them', (t) => {
  const obj = deployment(
    {
      replicas: 2,
      template: {
        spec: {
          containers: [
            {
              name: 'api',
              image: 'api:1',
              args: ['--x'],
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'A', value: '1' }],
            },
          ],
        },
      },
    },
    { labels: { app: 'web' }, finalizers: ['example.com/f'], uid: 'x' },
  );
  const set = fieldSetOf(obj);
  t.deepEqual(set['f:metadata']?.['f:labels'], { 'f:app': {} });
  t.deepEqual(set['f:metadata']?.['f:finalizers'], { 'v:"example.com/f"': {} });
  t.deepEqual(set['f:spec']?.['f:template']?.['f:spec']?.['f:containers'], {
    'k:{"name":"api"}': {
      '.': {},
      'f:args': {},
      'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
      'f:image': {},
      'f:name': {},
      'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
    },
  });
  t.deepEqual(
    JSON.stringify(fieldSetOf({ metadata: { labels: { app: 'x' } } })),
    '{"f:metadata":{"f:labels":{"f:app":{}}}}',
  );
  // key fields sorted by name, compact JSON
  const svc = fieldSetOf({ kind: 'Service', spec: { ports: [{ protocol: 'UDP', port: 53 }] } });
  t.deepEqual(Object.keys(svc['f:spec']?.['f:ports'] ?? {}), ['k:{"port":53,"protocol":"UDP"}']);
  t.deepEqual(fieldPaths(set).slice(0, 3), [
    '.apiVersion',
    '.kind',
    '.metadata.finalizers[="example.com/f"]',
  ]);
  t.true(fieldPaths(set).includes('.spec.template.spec.containers[name="api"].image'));
});

test('fieldSetOf strict mode rejects items without key fields and duplicate keys', (t) => {
  t.throws(() => fieldSetOf(deployment(podSpec([{ image: 'x' }])), { strict: true }), {
    instanceOf: FieldSetError,
    message: /omits key field "name"/,
  });
  t.throws(() => fieldSetOf(deployment(podSpec([container('a'), container('a')])), { strict: true }), {
    instanceOf: FieldSetError,
    message: /duplicate/,
  });
});

test('set operations on FieldsV1', (t) => {
  const a = { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } };
  const b = { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } };
  t.deepEqual(union(a, b), {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': { 'f:paused': {}, 'f:replicas': {} },
  });
  t.deepEqual(difference(a, b), { 'f:spec': { 'f:paused': {} } });
  t.deepEqual(intersection(a, b), { 'f:spec': { 'f:replicas': {} } });
  t.true(isEmpty(difference(b, union(a, b))));
  t.false(isEmpty(a));
  t.true(isEmpty({ 'f:spec': {} }) === false); // a leaf is a member
  // "." keeps the item a member when its children are subtracted
  const item = { 'f:c': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } } };
  t.deepEqual(difference(item, { 'f:c': { 'k:{"name":"a"}': { 'f:image': {} } } }), {
    'f:c': { 'k:{"name":"a"}': {} },
  });
});

test('removeFields deletes fields, keyed items and set items, and drops emptied maps', (t) => {
  const obj = deployment(podSpec([container('a', { env: [{ name: 'X', value: '1' }] }), container('b')]), {
    labels: { app: 'web' },
    finalizers: ['f1', 'f2'],
  });
  const out = removeFields(obj, {
    'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:finalizers': { 'v:"f1"': {} } },
    'f:spec': {
      'f:template': {
        'f:spec': {
          'f:containers': { 'k:{"name":"b"}': {}, 'k:{"name":"a"}': { 'f:env': { 'k:{"name":"X"}': {} } } },
        },
      },
    },
  });
  t.deepEqual(out.metadata, { name: 'web', namespace: 'ns', finalizers: ['f2'] });
  t.deepEqual(spec(out).template.spec.containers, [{ name: 'a', image: 'a:1' }]);
  t.is(spec(obj).template.spec.containers.length, 2, 'input untouched');
});

test('compareObjects marks added maps and items with "." and modified leaves only', (t) => {
  const before = deployment(podSpec([container('a')]));
  const after = deployment(podSpec([container('a', { image: 'a:2' }), container('b')]), {
    annotations: { x: 'y' },
  });
  const c = compareObjects(before, after);
  t.deepEqual(c.added, {
    'f:metadata': { 'f:annotations': { '.': {}, 'f:x': {} } },
    'f:spec': {
      'f:template': {
        'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      },
    },
  });
  t.deepEqual(c.modified, {
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { 'f:image': {} } } } } },
  });
  t.deepEqual(c.removed, {});
});

// ---------------------------------------------------------------------------------------------------
// server-side apply

test('apply creates the object and records the Apply entry', (t) => {
  const cfg = deployment({ replicas: 2, ...podSpec([container('api')]) }, { labels: { app: 'web' } });
  const obj = ok(apply(undefined, cfg, opts('op')));
  t.is(obj.metadata.name, 'web');
  t.is(spec(obj).replicas, 2);
  t.deepEqual(obj.metadata.managedFields, [
    {
      manager: 'op',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:template': {
            'f:spec': { 'f:containers': { 'k:{"name":"api"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test('apply never takes system metadata from the applied configuration', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 1 }), opts('op'))));
  const cfg = deployment(
    { replicas: 1 },
    {
      uid: 'evil',
      resourceVersion: '99',
      generation: 7,
      creationTimestamp: T2,
      deletionTimestamp: T2,
      managedFields: [],
    },
  );
  const obj = ok(apply(live, cfg, opts('op', T1)));
  t.is(obj.metadata.uid, 'u-1');
  t.is(obj.metadata.resourceVersion, '1');
  t.is(obj.metadata.generation, 1);
  t.is(obj.metadata.creationTimestamp, undefined);
  t.is(obj.metadata.deletionTimestamp, undefined);
  t.is(obj.metadata.managedFields?.length, 1);
  t.is(entry(obj, 'op')?.fieldsV1['f:metadata'], undefined);
});

test('re-applying the same configuration is idempotent (object, sets and time unchanged)', (t) => {
  const cfg = deployment({ replicas: 2, ...podSpec([container('api')]) }, { labels: { app: 'web' } });
  const first = stored(ok(apply(undefined, cfg, opts('op', T0))));
  const second = ok(apply(first, cfg, opts('op', T1)));
  t.deepEqual(second, first);
});

test('two managers applying disjoint fields coexist', (t) => {
  const a = stored(ok(apply(undefined, deployment({ replicas: 2 }), opts('a'))));
  const b = ok(apply(a, deployment({ paused: true }, { labels: { team: 'x' } }), opts('b', T1)));
  t.deepEqual(b.spec, { replicas: 2, paused: true });
  t.deepEqual(b.metadata.labels, { team: 'x' });
  t.deepEqual(entry(b, 'a')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.deepEqual(entry(b, 'b')?.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:team': {} } },
    'f:spec': { 'f:paused': {} },
  });
  t.deepEqual(
    b.metadata.managedFields?.map((e) => e.manager),
    ['a', 'b'],
    'Apply entries sorted by time',
  );
});

test('a different value for a field another manager owns is a conflict', (t) => {
  const live = stored(
    ok(apply(undefined, deployment({ replicas: 2, ...podSpec([container('api')]) }), opts('a'))),
  );
  const result = apply(
    live,
    deployment({ replicas: 3, ...podSpec([container('api', { image: 'api:2' })]) }),
    opts('b', T1),
  );
  t.true('conflicts' in result);
  if (!('conflicts' in result)) return;
  t.deepEqual(result.conflicts, [
    { manager: 'a', field: '.spec.replicas' },
    { manager: 'a', field: '.spec.template.spec.containers[name="api"].image' },
  ]);
  t.is(
    conflictMessage(result.conflicts),
    'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="api"].image',
  );
  t.is(
    conflictMessage([{ manager: 'a', field: '.spec.replicas' }]),
    'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
  );
});

test('conflicts also arise against Update managers', (t) => {
  const created = recordUpdate(undefined, stored(deployment({ replicas: 1 })), {
    manager: 'kubectl-edit',
    now: T0,
    apiVersion: 'apps/v1',
  });
  const result = apply(created, deployment({ replicas: 5 }), opts('op', T1));
  t.deepEqual('conflicts' in result && result.conflicts, [
    { manager: 'kubectl-edit', field: '.spec.replicas' },
  ]);
});

test('force takes ownership of conflicting fields', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2, paused: false }), opts('a'))));
  const obj = ok(apply(live, deployment({ replicas: 3 }), opts('b', T1, { force: true })));
  t.is(spec(obj).replicas, 3);
  t.deepEqual(entry(obj, 'a')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
  t.deepEqual(entry(obj, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  // a manager whose whole set is taken disappears
  const obj2 = ok(apply(obj, deployment({ paused: true }), opts('b', T2, { force: true })));
  t.is(entry(obj2, 'a'), undefined);
  t.deepEqual(entry(obj2, 'b')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
  // b omitted replicas this time and nobody else owns it: removed
  t.deepEqual(obj2.spec, { paused: true });
});

test('applying the same value as another manager shares ownership without conflict', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2 }), opts('a'))));
  const obj = ok(apply(live, deployment({ replicas: 2 }), opts('b', T1)));
  t.deepEqual(entry(obj, 'a')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.deepEqual(entry(obj, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.is(spec(obj).replicas, 2);
});

test('omitting a previously applied field removes it, unless another manager co-owns it', (t) => {
  const v1 = stored(
    ok(apply(undefined, deployment({ replicas: 2, paused: true }, { labels: { app: 'web' } }), opts('a'))),
  );
  const v2 = ok(apply(v1, deployment({ replicas: 2 }), opts('a', T1)));
  t.deepEqual(v2.spec, { replicas: 2 });
  t.is(v2.metadata.labels, undefined, 'emptied labels map dropped');
  t.deepEqual(entry(v2, 'a')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.is(entry(v2, 'a')?.time, T1);

  // shared: b also applied replicas=2, so a dropping it keeps the value (owned by b only)
  const shared = ok(apply(v2, deployment({ replicas: 2 }), opts('b', T1)));
  const v3 = ok(apply(shared, deployment({ paused: false }), opts('a', T2)));
  t.deepEqual(v3.spec, { replicas: 2, paused: false });
  t.deepEqual(entry(v3, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.deepEqual(entry(v3, 'a')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
});

test('keyed lists merge by key: two managers own different containers and env entries', (t) => {
  const a = stored(
    ok(
      apply(
        undefined,
        deployment(podSpec([container('api', { env: [{ name: 'A', value: '1' }] })])),
        opts('a'),
      ),
    ),
  );
  const b = ok(
    apply(
      a,
      deployment(podSpec([container('api', { env: [{ name: 'B', value: '2' }] }), container('sidecar')])),
      opts('b', T1),
    ),
  );
  t.deepEqual(spec(b).template.spec.containers, [
    {
      name: 'api',
      image: 'api:1',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
    { name: 'sidecar', image: 'sidecar:1' },
  ]);
  const bContainers = entry(b, 'b')?.fieldsV1['f:spec']?.['f:template']?.['f:spec']?.['f:containers'];
  t.deepEqual(Object.keys(bContainers ?? {}), ['k:{"name":"api"}', 'k:{"name":"sidecar"}']);
  t.deepEqual(bContainers?.['k:{"name":"api"}']?.['f:env'], {
    'k:{"name":"B"}': { '.': {}, 'f:name': {}, 'f:value': {} },
  });

  // a drops its env entry: only A goes away; the shared container item stays
  const c = ok(apply(b, deployment(podSpec([container('api')])), opts('a', T2)));
  t.deepEqual(spec(c).template.spec.containers[0]?.env, [{ name: 'B', value: '2' }]);
  // b drops the sidecar: removed from the object
  const d = ok(
    apply(c, deployment(podSpec([container('api', { env: [{ name: 'B', value: '2' }] })])), opts('b', T2)),
  );
  t.deepEqual(
    spec(d).template.spec.containers.map((x) => x.name),
    ['api'],
  );
});

test('finalizers are a set: each manager owns its own items', (t) => {
  const a = stored(ok(apply(undefined, deployment({}, { finalizers: ['a.io/f'] }), opts('a'))));
  const b = ok(apply(a, deployment({}, { finalizers: ['b.io/f'] }), opts('b', T1)));
  t.deepEqual(b.metadata.finalizers, ['a.io/f', 'b.io/f']);
  t.deepEqual(entry(b, 'b')?.fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"b.io/f"': {} } } });
  const c = ok(apply(b, deployment({}, {}), opts('a', T2)));
  t.deepEqual(c.metadata.finalizers, ['b.io/f']);
  t.is(entry(c, 'a'), undefined, 'empty entry removed');
});

test('status subresource apply only touches status and records subresource', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2 }), opts('op'))));
  const applied = {
    ...deployment({ replicas: 9 }, { labels: { sneaky: 'yes' } }),
    status: { conditions: [{ type: 'Available', status: 'True' }] },
  };
  const obj = ok(apply(live, applied, opts('op', T1, { subresource: 'status' })));
  t.is(spec(obj).replicas, 2);
  t.is(obj.metadata.labels, undefined);
  t.deepEqual(obj.status, { conditions: [{ type: 'Available', status: 'True' }] });
  const statusEntry = obj.metadata.managedFields?.find((e) => e.subresource === 'status');
  t.like(statusEntry, { manager: 'op', operation: 'Apply', subresource: 'status', time: T1 });
  t.deepEqual(statusEntry?.fieldsV1, {
    'f:status': { 'f:conditions': { 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } } },
  });
  // the main-resource entry of the same manager is a different entry and is untouched
  t.deepEqual(obj.metadata.managedFields?.find((e) => e.subresource === undefined)?.fieldsV1, {
    'f:spec': { 'f:replicas': {} },
  });
  t.throws(() => apply(undefined, applied, opts('op', T1, { subresource: 'status' })), {
    message: /does not exist/,
  });
});

test('an object without managedFields is owned by before-first-apply', (t) => {
  const live = stored(deployment({ replicas: 1 }));
  const result = apply(live, deployment({ replicas: 2 }), opts('op'));
  t.deepEqual('conflicts' in result && result.conflicts, [
    { manager: 'before-first-apply', field: '.spec.replicas' },
  ]);
});

// ---------------------------------------------------------------------------------------------------
// recordUpdate

test('recordUpdate on create owns everything set, with "." for added maps', (t) => {
  const created = recordUpdate(undefined, stored(deployment({ replicas: 1 }, { labels: { app: 'web' } })), {
    manager: 'kubectl-create',
    now: T0,
    apiVersion: 'apps/v1',
  });
  t.deepEqual(created.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': { 'f:replicas': {} },
      },
    },
  ]);
});

test('recordUpdate steals ownership of changed fields from appliers and never conflicts', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2, paused: false }), opts('op'))));
  const edited = { ...live, spec: { replicas: 5, paused: false } };
  const after = recordUpdate(live, edited, { manager: 'kubectl-edit', now: T1, apiVersion: 'apps/v1' });
  t.is(spec(after).replicas, 5);
  t.deepEqual(entry(after, 'op')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
  t.like(entry(after, 'kubectl-edit', 'Update'), {
    time: T1,
    apiVersion: 'apps/v1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  });
  // the applier now conflicts on replicas
  const result = apply(after, deployment({ replicas: 2, paused: false }), opts('op', T2));
  t.deepEqual('conflicts' in result && result.conflicts, [
    { manager: 'kubectl-edit', field: '.spec.replicas' },
  ]);

  // a no-op update leaves managedFields (and times) alone
  const noop = recordUpdate(after, after, { manager: 'other', now: T2, apiVersion: 'apps/v1' });
  t.deepEqual(noop.metadata.managedFields, after.metadata.managedFields);
});

test('recordUpdate: removed fields leave every set; status writes record the subresource', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2, paused: true }), opts('op'))));
  const after = recordUpdate(
    live,
    { ...live, spec: { replicas: 2 } },
    { manager: 'ctl', now: T1, apiVersion: 'apps/v1' },
  );
  t.deepEqual(entry(after, 'op')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.is(entry(after, 'ctl', 'Update'), undefined, 'only removals: no entry');

  const withStatus = recordUpdate(
    after,
    { ...after, status: { readyReplicas: 2 } },
    { manager: 'controller', now: T2, apiVersion: 'apps/v1', subresource: 'status' },
  );
  t.like(entry(withStatus, 'controller', 'Update'), {
    subresource: 'status',
    fieldsV1: { 'f:status': { 'f:readyReplicas': {} } },
  });
});

test('recordUpdate honours managedFields reset by the request', (t) => {
  const live = stored(ok(apply(undefined, deployment({ replicas: 2 }), opts('op'))));
  const reset = recordUpdate(
    live,
    { ...live, metadata: { ...live.metadata, managedFields: [] } },
    { manager: 'ctl', now: T1, apiVersion: 'apps/v1' },
  );
  t.is(reset.metadata.managedFields, undefined);
});
