import test from 'ava';
import {
  type JsonPatchOperation,
  jsonPatch,
  mergePatch,
  PatchError,
  type PatchErrorCode,
  strategicMergePatch,
} from './support/kube-fake/patches.js';

const doc = () => ({
  metadata: { name: 'x', labels: { app: 'web', 'a/b': 'slash' } },
  spec: { replicas: 1, items: ['a', 'b', 'c'] },
});

// ---------------------------------------------------------------------------------------------------
// JSON patch

test('jsonPatch add: object member, array insert, array append, root', (t) => {
  const input = doc();
  const out = jsonPatch(input, [
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'add', path: '/spec/items/1', value: 'X' },
    { op: 'add', path: '/spec/items/-', value: 'Z' },
  ]);
  t.deepEqual(out, {
    metadata: { name: 'x', labels: { app: 'web', 'a/b': 'slash', tier: 'fe' } },
    spec: { replicas: 1, items: ['a', 'X', 'b', 'c', 'Z'] },
  });
  t.deepEqual(input, doc(), 'input untouched');
  t.deepEqual(jsonPatch(input, [{ op: 'add', path: '', value: { a: 1 } }]), { a: 1 });
});

test('jsonPatch remove and replace (with ~1 escapes)', (t) => {
  const out = jsonPatch(doc(), [
    { op: 'remove', path: '/metadata/labels/a~1b' },
    { op: 'remove', path: '/spec/items/0' },
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'replace', path: '/spec/items/0', value: 'B' },
  ]);
  t.deepEqual(out, {
    metadata: { name: 'x', labels: { app: 'web' } },
    spec: { replicas: 3, items: ['B', 'c'] },
  });
});

test('jsonPatch move and copy', (t) => {
  const out = jsonPatch(doc(), [
    { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
    { op: 'move', from: '/spec/items/0', path: '/spec/items/-' },
    { op: 'move', from: '/spec/replicas', path: '/metadata/replicas' },
  ]) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  t.is((out.metadata.labels as Record<string, string>).copy, 'web');
  t.deepEqual(out.spec, { items: ['b', 'c', 'a'] });
  t.is(out.metadata.replicas, 1);
  t.throws(() => jsonPatch(doc(), [{ op: 'move', from: '/spec', path: '/spec/inner' }]), {
    instanceOf: PatchError,
    message: /own child/,
  });
});

test('jsonPatch test succeeds on equal values and fails with TestFailed otherwise', (t) => {
  t.deepEqual(
    jsonPatch(doc(), [
      { op: 'test', path: '/spec/items', value: ['a', 'b', 'c'] },
      { op: 'replace', path: '/spec/replicas', value: 2 },
    ]),
    { ...doc(), spec: { replicas: 2, items: ['a', 'b', 'c'] } },
  );
  const error = t.throws(
    () =>
      jsonPatch(doc(), [
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'test', path: '/metadata/name', value: 'y' },
      ]),
    { instanceOf: PatchError, message: /test failed/ },
  );
  t.is(error?.code, 'TestFailed');
  t.is(error?.operation, 1);
});

test('jsonPatch bad paths and malformed operations throw PatchError', (t) => {
  const cases: Array<[JsonPatchOperation, PatchErrorCode]> = [
    [{ op: 'remove', path: '/spec/missing' }, 'PathNotFound'],
    [{ op: 'replace', path: '/nope/deeper', value: 1 }, 'PathNotFound'],
    [{ op: 'add', path: '/nope/deeper', value: 1 }, 'PathNotFound'],
    [{ op: 'add', path: '/spec/items/7', value: 1 }, 'PathNotFound'],
    [{ op: 'remove', path: '/spec/items/01' }, 'PathNotFound'],
    [{ op: 'test', path: '/spec/missing', value: 1 }, 'PathNotFound'],
    [{ op: 'copy', from: '/spec/missing', path: '/x' }, 'PathNotFound'],
    [{ op: 'add', path: 'no-slash', value: 1 }, 'InvalidPatch'],
    [{ op: 'frobnicate', path: '/x' } as unknown as JsonPatchOperation, 'InvalidPatch'],
    [{ op: 'add', path: '/x' } as unknown as JsonPatchOperation, 'InvalidPatch'],
  ];
  for (const [op, code] of cases) {
    const error = t.throws(() => jsonPatch(doc(), [op]), { instanceOf: PatchError }, JSON.stringify(op));
    t.is(error?.code, code, JSON.stringify(op));
  }
});

// ---------------------------------------------------------------------------------------------------
// Merge patch

test('mergePatch merges maps, deletes on null and replaces lists', (t) => {
  const out = mergePatch(doc(), {
    metadata: { labels: { app: null, tier: 'fe' } },
    spec: { items: ['z'], extra: { a: null, b: 1 } },
  });
  t.deepEqual(out, {
    metadata: { name: 'x', labels: { 'a/b': 'slash', tier: 'fe' } },
    spec: { replicas: 1, items: ['z'], extra: { b: 1 } },
  });
  t.deepEqual(mergePatch({ a: 1 }, ['x']), ['x']);
  t.deepEqual(mergePatch(doc(), { metadata: null }), { spec: doc().spec });
});

// ---------------------------------------------------------------------------------------------------
// Strategic merge patch

const pod = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', finalizers: ['a.io/f'], labels: { app: 'web' } },
  spec: {
    template: {
      spec: {
        containers: [
          {
            name: 'api',
            image: 'api:1',
            args: ['--a', '--b'],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            ports: [{ containerPort: 8080, protocol: 'TCP', name: 'http' }],
          },
          { name: 'sidecar', image: 'sc:1' },
        ],
      },
    },
  },
});

type Container = { name: string; image?: string; args?: string[]; env?: unknown[]; ports?: unknown[] };
const containersOf = (o: unknown) =>
  (o as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers;

test('strategicMergePatch merges containers, env and ports by key', (t) => {
  const input = pod();
  const out = strategicMergePatch(input, {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'api',
              image: 'api:2',
              env: [
                { name: 'B', value: 'two' },
                { name: 'C', value: '3' },
              ],
              ports: [{ containerPort: 8080, name: 'web' }, { containerPort: 9090 }],
            },
            { name: 'new', image: 'new:1' },
          ],
        },
      },
    },
  });
  // As kube-apiserver orders them: the new container comes before the one the patch left out.
  const [api, added, sidecar] = containersOf(out);
  t.is(api?.image, 'api:2');
  t.deepEqual(api?.args, ['--a', '--b'], 'untouched fields kept');
  t.deepEqual(api?.env, [
    { name: 'A', value: '1' },
    { name: 'B', value: 'two' },
    { name: 'C', value: '3' },
  ]);
  t.deepEqual(api?.ports, [{ containerPort: 8080, protocol: 'TCP', name: 'web' }, { containerPort: 9090 }]);
  t.deepEqual(sidecar, { name: 'sidecar', image: 'sc:1' });
  t.deepEqual(added, { name: 'new', image: 'new:1' });
  t.deepEqual(input, pod(), 'input untouched');
});

test('strategicMergePatch $patch: delete removes a list item; $patch: replace replaces', (t) => {
  const out = strategicMergePatch(pod(), {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'sidecar', $patch: 'delete' },
            { name: 'api', env: [{ name: 'A', $patch: 'delete' }] },
          ],
        },
      },
    },
  });
  t.deepEqual(
    containersOf(out).map((c) => c.name),
    ['api'],
  );
  t.deepEqual(containersOf(out)[0]?.env, [{ name: 'B', value: '2' }]);

  const replacedList = strategicMergePatch(pod(), {
    spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } } },
  });
  t.deepEqual(containersOf(replacedList), [{ name: 'only', image: 'o:1' }]);

  const replacedMap = strategicMergePatch(pod(), { metadata: { labels: { $patch: 'replace', tier: 'fe' } } });
  t.deepEqual((replacedMap as { metadata: { labels: unknown } }).metadata.labels, { tier: 'fe' });

  const deletedMap = strategicMergePatch(pod(), { metadata: { labels: { $patch: 'delete' } } });
  t.is((deletedMap as { metadata: { labels?: unknown } }).metadata.labels, undefined);
});

test('strategicMergePatch replaces atomic lists and deletes on null', (t) => {
  const out = strategicMergePatch(pod(), {
    metadata: { labels: { app: null } },
    spec: { template: { spec: { containers: [{ name: 'api', args: ['--only'], ports: null }] } } },
  });
  const api = containersOf(out)[0];
  t.deepEqual(api?.args, ['--only']);
  t.is(api?.ports, undefined);
  t.deepEqual((out as { metadata: { labels: unknown } }).metadata.labels, {});
});

test('strategicMergePatch merges finalizers as a set and supports $deleteFromPrimitiveList', (t) => {
  const out = strategicMergePatch(pod(), {
    metadata: { finalizers: ['a.io/f', 'b.io/f'] },
  }) as { metadata: { finalizers: string[] } };
  t.deepEqual(out.metadata.finalizers, ['a.io/f', 'b.io/f']);
  const removed = strategicMergePatch(out, {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/f'] },
  }) as { metadata: { finalizers: string[] } };
  t.deepEqual(removed.metadata.finalizers, ['b.io/f']);
});

test('strategicMergePatch ignores $setElementOrder, honours $retainKeys, rejects items without keys', (t) => {
  const out = strategicMergePatch(pod(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'api' }],
          containers: [{ name: 'sidecar', image: 'sc:2' }],
        },
      },
    },
  });
  t.deepEqual(
    containersOf(out).map((c) => `${c.name}=${c.image}`),
    ['api=api:1', 'sidecar=sc:2'],
  );
  const retained = strategicMergePatch(
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
  );
  t.deepEqual(retained, { spec: { strategy: { type: 'Recreate' } } });
  t.throws(
    () => strategicMergePatch(pod(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
    { instanceOf: PatchError, message: /omits key field "name"/ },
  );
  t.throws(() => strategicMergePatch(pod(), ['x']), { instanceOf: PatchError });
});
