import { readFileSync } from 'node:fs';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import {
  compileCustomResourceSchema,
  type JSONSchemaProps,
  unknownFields,
} from './support/kube-fake/custom-resource-schema.js';
import type { KubeObject } from './support/kube-fake/types.js';

// The SkeletonApp CRD as synthesized to charts/dist (the workspace package is not imported to keep tsc scoped).
const crdYaml = readFileSync(new URL('../../charts/dist/skeletonapp-crd.yaml', import.meta.url), 'utf8');
const crd = parseAllDocuments(crdYaml)[0]?.toJS() as {
  spec: { versions: Array<{ schema: { openAPIV3Schema: JSONSchemaProps } }> };
};
const skeletonSchema = crd.spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps;
const processSkeletonApp = compileCustomResourceSchema(skeletonSchema);

const base = () => ({
  apiVersion: 'platform.skeleton.dev/v1alpha1',
  kind: 'SkeletonApp',
  metadata: { name: 'demo', namespace: 'apps', labels: { a: 'b' }, annotations: { x: 'y' } },
  spec: {
    image: 'registry.example.com/demo:1.2.3',
    database: { secretRef: { name: 'db' } },
  },
});

function ok(result: ReturnType<typeof processSkeletonApp>): KubeObject {
  if ('error' in result) throw new Error(result.error.message);
  return result.object;
}

const small: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        known: { type: 'string' },
        nested: { type: 'object', properties: { keep: { type: 'integer' } } },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { n: { type: 'object', properties: { k: { type: 'string' } } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        anyMap: { type: 'object', additionalProperties: true },
        list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        nullable: { type: 'string', nullable: true },
        withDefault: { type: 'string', default: 'd' },
        noDefault: { type: 'string' },
      },
    },
  },
};

test('pruning: unknown fields dropped, nested too; metadata/apiVersion/kind kept', (t) => {
  const process = compileCustomResourceSchema(small);
  const input = {
    apiVersion: 'x.dev/v1',
    kind: 'X',
    metadata: { name: 'n', labels: { a: 'b' }, whatever: 1 },
    spec: { known: 'k', unknown: 1, nested: { keep: 1, drop: 2 }, list: [{ name: 'a', extra: true }] },
    status: { dropped: true },
    topLevelUnknown: 1,
  };
  const out = ok(process(input));
  t.deepEqual(out, {
    apiVersion: 'x.dev/v1',
    kind: 'X',
    metadata: { name: 'n', labels: { a: 'b' }, whatever: 1 },
    spec: { known: 'k', nested: { keep: 1 }, list: [{ name: 'a' }], withDefault: 'd' },
  });
  t.is((input.spec as Record<string, unknown>).unknown, 1, 'input not mutated');
});

test('pruning: x-kubernetes-preserve-unknown-fields kept (known children still pruned), map keys kept', (t) => {
  const process = compileCustomResourceSchema(small);
  const out = ok(
    process({
      apiVersion: 'x.dev/v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: {
        free: { anything: { deep: [1, 2] }, n: { k: 'v', gone: 1 } },
        labels: { 'app.kubernetes.io/name': 'x', other: 'y' },
        anyMap: { a: { b: 1 } },
      },
    }),
  );
  t.deepEqual(out.spec, {
    free: { anything: { deep: [1, 2] }, n: { k: 'v' } },
    labels: { 'app.kubernetes.io/name': 'x', other: 'y' },
    anyMap: { a: { b: 1 } },
    withDefault: 'd',
  });
});

test("strict field validation names the fields pruning would drop, sorted, in kube-apiserver's paths", (t) => {
  t.deepEqual(
    unknownFields(
      {
        apiVersion: 'x.dev/v1',
        kind: 'X',
        metadata: { name: 'n', whatever: 1 },
        spec: {
          known: 'k',
          unknown: 1,
          nested: { keep: 1, drop: 2 },
          free: { anything: { goes: true } },
          labels: { any: 'key' },
          anyMap: { a: { b: 1 } },
          list: [{ name: 'a', extra: true }],
        },
        topLevelUnknown: 1,
      },
      small,
    ),
    ['spec.list[0].extra', 'spec.nested.drop', 'spec.unknown', 'topLevelUnknown'],
  );
  t.deepEqual(unknownFields({ spec: { known: 'k' } }, small), []);
});

test('nullable: null kept when nullable, non-nullable null removed and defaulted', (t) => {
  const process = compileCustomResourceSchema(small);
  const out = ok(
    process({
      apiVersion: 'x.dev/v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: { nullable: null, withDefault: null, noDefault: null },
    }),
  );
  t.deepEqual(out.spec, { nullable: null, withDefault: 'd' });
});

test('defaulting: SkeletonApp defaults applied, nested into newly defaulted objects', (t) => {
  const out = ok(processSkeletonApp(base()));
  const spec = out.spec as Record<string, Record<string, unknown>>;
  t.deepEqual(spec.replicas, { min: 2, max: 10 });
  t.deepEqual(spec.resources, {
    requests: { cpu: '100m', memory: '192Mi', ephemeralStorage: '64Mi' },
    limits: { memory: '384Mi', ephemeralStorage: '256Mi' },
  });
  t.deepEqual(
    spec.database,
    { secretRef: { name: 'db', key: 'url' } },
    'nested default inside a given object',
  );
  t.deepEqual(spec.monitoring, { serviceMonitor: { enabled: false, interval: '30s', labels: {} } });
  t.deepEqual(spec.config, {});
  t.deepEqual(spec.migrations?.command, ['node', 'dist/cli/migrate.js', 'up']);
});

test('defaulting: a partially given object gets the missing nested defaults', (t) => {
  const input = base();
  const out = ok(processSkeletonApp({ ...input, spec: { ...input.spec, replicas: { min: 3 }, jwt: {} } }));
  const spec = out.spec as Record<string, unknown>;
  t.deepEqual(spec.replicas, { min: 3, max: 10 });
  t.deepEqual(spec.jwt, { rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '1h' });
});

test('a fully specified valid object passes unchanged', (t) => {
  const first = ok(processSkeletonApp(base()));
  const again = ok(processSkeletonApp(first));
  t.deepEqual(again, first);
  t.deepEqual(first.metadata, base().metadata);
  const { spec: _s, ...restOut } = first;
  const { spec: _b, ...restIn } = base();
  t.deepEqual(restOut, restIn);
});

test('validation: every problem reported as 422 Invalid with Kubernetes field paths', (t) => {
  const input = {
    ...base(),
    spec: {
      image: 'NOT a valid image',
      replicas: { min: 0, max: 'ten' },
      database: { secretRef: {} },
      networkPolicy: { egressTo: ['10.0.0.0/8', 'nope'] },
      migrations: { command: [] },
      ingress: { className: 'x' },
    },
    status: {
      conditions: [
        { type: 'Bogus', status: 'True', reason: 'R', message: 'm', lastTransitionTime: 'yesterday' },
      ],
    },
  };
  const result = processSkeletonApp(input);
  if (!('error' in result)) return t.fail('expected an error');
  const status = result.error.status;
  t.is(status.code, 422);
  t.is(status.reason, 'Invalid');
  t.deepEqual(
    [status.details?.kind, status.details?.group, status.details?.name],
    ['SkeletonApp', 'platform.skeleton.dev', 'demo'],
  );
  t.true(status.message.startsWith('SkeletonApp.platform.skeleton.dev "demo" is invalid: ['));
  const byField = new Map((status.details?.causes ?? []).map((c) => [c.field, c]));
  t.is(byField.get('spec.image')?.reason, 'FieldValueInvalid');
  t.regex(
    byField.get('spec.image')?.message ?? '',
    /^Invalid value: "NOT a valid image": spec\.image in body should match '/,
  );
  t.deepEqual(byField.get('spec.replicas.min'), {
    reason: 'FieldValueInvalid',
    message: 'Invalid value: 0: spec.replicas.min in body should be greater than or equal to 1',
    field: 'spec.replicas.min',
  });
  t.deepEqual(byField.get('spec.replicas.max'), {
    reason: 'FieldValueTypeInvalid',
    message: 'Invalid value: "string": spec.replicas.max in body must be of type integer: "string"',
    field: 'spec.replicas.max',
  });
  t.deepEqual(byField.get('spec.database.secretRef.name'), {
    reason: 'FieldValueRequired',
    message: 'Required value',
    field: 'spec.database.secretRef.name',
  });
  t.is(byField.get('spec.ingress.host')?.reason, 'FieldValueRequired');
  t.regex(byField.get('spec.networkPolicy.egressTo[1]')?.message ?? '', /^Invalid value: "nope": /);
  t.is(
    byField.get('spec.migrations.command')?.message,
    'Invalid value: 0: spec.migrations.command in body should have at least 1 items',
  );
  t.deepEqual(byField.get('status.conditions[0].type'), {
    reason: 'FieldValueNotSupported',
    message:
      'Unsupported value: "Bogus": supported values: "Ready", "Progressing", "Degraded", "MigrationSucceeded", "KeysRotated", "MonitoringAvailable"',
    field: 'status.conditions[0].type',
  });
  t.truthy(byField.get('status.conditions[0].lastTransitionTime'));
  t.false(byField.has('spec.networkPolicy.egressTo[0]'));
});

test('validation: missing spec and maxLength reported', (t) => {
  const { spec: _spec, ...noSpec } = base();
  const r1 = processSkeletonApp(noSpec);
  t.true('error' in r1 && r1.error.status.details?.causes?.[0]?.field === 'spec');
  const r2 = processSkeletonApp({
    ...base(),
    spec: { ...base().spec, config: { KEY: 'x'.repeat(4097) } },
  });
  if (!('error' in r2)) return t.fail('expected an error');
  // As a v1.36 kube-apiserver words it, with the extra cause a CRD with CEL rules adds when a
  // blocking schema error kept them from running.
  t.like(r2.error.status.details?.causes?.[0], {
    field: 'spec.config.KEY',
    reason: 'FieldValueTooLong',
    message: 'Too long: may not be more than 4096 bytes',
  });
  t.like(r2.error.status.details?.causes?.[1], {
    field: '<nil>',
    message:
      'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  });
  t.is(r2.error.status.details?.causes?.length, 2);
});

test('CEL x-kubernetes-validations are enforced, each failure worded as kube-apiserver words it', (t) => {
  const result = processSkeletonApp({
    ...base(),
    spec: {
      ...base().spec,
      replicas: { min: 5, max: 3 },
      config: { 'bad-key': 'x' },
      jwt: { accessTokenTTL: '15m', previousKeyRetention: '5m' },
    },
  });
  if (!('error' in result)) return t.fail('expected an error');
  const causes = [...(result.error.status.details?.causes ?? [])].sort((a, b) =>
    String(a.field).localeCompare(String(b.field)),
  );
  t.deepEqual(causes, [
    {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: config keys must be environment variable names of at most 128 characters',
      field: 'spec.config',
    },
    {
      reason: 'FieldValueInvalid',
      message:
        'Invalid value: jwt.previousKeyRetention must be at least jwt.accessTokenTTL, or rotation would reject live tokens',
      field: 'spec.jwt',
    },
    {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: replicas.min must not exceed replicas.max',
      field: 'spec.replicas',
    },
  ]);
  ok(processSkeletonApp({ ...base(), spec: { ...base().spec, replicas: { min: 3, max: 3 } } }));
});

test('OpenAPI v3.0 boolean exclusiveMinimum is understood', (t) => {
  const process = compileCustomResourceSchema({
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { n: { type: 'number', minimum: 0, exclusiveMinimum: true } } },
    },
  });
  const r = process({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { n: 0 } });
  if (!('error' in r)) return t.fail('expected an error');
  t.is(
    r.error.status.details?.causes?.[0]?.message,
    'Invalid value: 0: spec.n in body should be greater than 0',
  );
  t.false('error' in process({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { n: 0.5 } }));
});
