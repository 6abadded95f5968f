import test from 'ava';
import { compliantObjects } from './support/policy/fixtures.js';
import { validateObject, validateObjects } from './support/validate-objects.js';

type Json = Record<string, unknown>;

const deployment = (): Json => {
  const d = compliantObjects().find((o) => o.kind === 'Deployment');
  if (!d) throw new Error('fixture has no Deployment');
  return d;
};

function at(obj: unknown, ...path: (string | number)[]): Json {
  let cur: unknown = obj;
  for (const p of path) cur = (cur as Json)[p];
  return cur as Json;
}

test('a valid Deployment passes', (t) => {
  t.deepEqual(validateObject(deployment()), []);
});

test('every compliant fixture object passes', (t) => {
  t.deepEqual(validateObjects(compliantObjects()), []);
});

test('a type error is caught: replicas "three"', (t) => {
  const d = deployment();
  at(d, 'spec').replicas = 'three';
  const problems = validateObject(d);
  t.is(problems.length, 1);
  t.regex(problems[0] ?? '', /replicas must be integer/);
});

test('an unknown nested field is caught: imagePullPolice', (t) => {
  const d = deployment();
  at(d, 'spec', 'template', 'spec', 'containers', 0).imagePullPolice = 'Always';
  t.deepEqual(validateObject(d), [
    'Deployment accounts/accounts: unknown field /spec/template/spec/containers/0/imagePullPolice',
  ]);
});

test('unknown top-level and metadata fields are caught', (t) => {
  const d = deployment();
  d.extra = true;
  at(d, 'metadata').lables = {};
  t.deepEqual(validateObject(d).sort(), [
    'Deployment accounts/accounts: unknown field /extra',
    'Deployment accounts/accounts: unknown field /metadata/lables',
  ]);
});

test('map fields (labels, resources, data) accept any key', (t) => {
  const d = deployment();
  at(d, 'metadata', 'labels')['example.com/anything'] = 'x';
  at(d, 'spec', 'template', 'spec', 'containers', 0, 'resources', 'limits')['nvidia.com/gpu'] = '1';
  t.deepEqual(validateObject(d), []);
  t.deepEqual(
    validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }),
    [],
  );
});

test('an unknown kind is caught', (t) => {
  const problems = validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
  t.is(problems.length, 1);
  t.regex(problems[0] ?? '', /unknown apiVersion\/kind example\.com\/v1 Widget/);
});

test('a known kind with the wrong apiVersion is caught', (t) => {
  t.is(
    validateObject({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'd' } }).length,
    1,
  );
});

test('SkeletonApp is skipped (validated elsewhere)', (t) => {
  t.deepEqual(
    validateObject({ apiVersion: 'platform.skeleton.dev/v1alpha1', kind: 'SkeletonApp', bogus: 1 }),
    [],
  );
});

test('ServiceMonitor unknown endpoint field is caught', (t) => {
  const sm = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'm', namespace: 'n' },
    spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [{ port: 'metrics', intervall: '30s' }] },
  };
  t.deepEqual(validateObject(sm), ['ServiceMonitor n/m: unknown field /spec/endpoints/0/intervall']);
});

test('CRD: openAPIV3Schema is walked, preserve-unknown-fields and defaults are allowed', (t) => {
  const crd = (schemaExtra: Json) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'skeletonapps.platform.skeleton.dev' },
    spec: {
      group: 'platform.skeleton.dev',
      scope: 'Namespaced',
      names: {
        kind: 'SkeletonApp',
        plural: 'skeletonapps',
        singular: 'skeletonapp',
        listKind: 'SkeletonAppList',
      },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  default: { replicas: { min: 2 } },
                  'x-kubernetes-validations': [{ rule: 'self.replicas.min >= 1', message: 'min' }],
                  properties: { image: { type: 'string', minLength: 1 } },
                  ...schemaExtra,
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  });
  t.deepEqual(validateObject(crd({})), []);
  t.deepEqual(validateObject(crd({ minLenght: 1 })), [
    'CustomResourceDefinition skeletonapps.platform.skeleton.dev: unknown field /spec/versions/0/schema/openAPIV3Schema/properties/spec/minLenght',
  ]);
});

test('core kinds of the operator install validate', (t) => {
  const labels = { 'app.kubernetes.io/name': 'skeleton-operator' };
  t.deepEqual(
    validateObjects([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'skeleton-system', labels } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', namespace: 'skeleton-system' },
        rules: [
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'r', namespace: 'skeleton-system' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'skeleton-operator', namespace: 'skeleton-system' }],
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'i', namespace: 'a' },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'a', port: { name: 'http' } } },
                  },
                ],
              },
            },
          ],
        },
      },
    ]),
    [],
  );
});
