import { Environment, evaluate } from '@marcbachmann/cel-js';
import test from 'ava';
import { z } from 'zod';
import { APP_NAME_VALIDATION, skeletonAppNameSchema } from '../src/app-name.js';
import {
  type SchemaNode,
  skeletonAppCrd,
  skeletonAppOpenApiSchema,
  toStructuralSchema,
  zodToStructuralSchema,
} from '../src/crd.js';
import { EXAMPLE_SKELETON_APP } from '../src/example.js';
import { CROSS_FIELD_RULES, skeletonAppSpecSchema, skeletonAppStatusSchema } from '../src/spec.js';
import {
  celFailures,
  closed,
  kubernetesAjv,
  schemaNodes,
  structuralViolations,
} from './support/structural-schema.js';

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: Record<string, unknown>;
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: Record<string, unknown>;
      additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: SchemaNode };
    }[];
  };
}

const crd = skeletonAppCrd() as Crd;
const version = crd.spec.versions[0];
if (version === undefined) throw new Error('the CRD has no version');
const root = version.schema.openAPIV3Schema;
const child = (node: SchemaNode, ...path: string[]): SchemaNode =>
  path.reduce((at, name) => (at.properties as Record<string, SchemaNode>)[name] as SchemaNode, node);
const specNode = child(root, 'spec');
/** A map: an object whose entries all follow one schema. */
const isNodeMap = (node: SchemaNode) =>
  node.type === 'object' && typeof node.additionalProperties === 'object';

// The SkeletonApp of the design document, as synth publishes it.
const example = EXAMPLE_SKELETON_APP;
type ExampleSpec = typeof example.spec;

/** kube-apiserver's view of an object: defaults applied; unknown fields refused (Strict field validation). */
const strictValidate = kubernetesAjv().compile(closed(root));
/** The same with unknown fields pruned instead, as kube-apiserver does by default. */
const pruningValidate = kubernetesAjv({ removeAdditional: true }).compile(closed(root));
/** The CRD schema as it stands, without the test's closing: unknown fields pass through to pruning. */
const openValidate = kubernetesAjv().compile(root);

// 1. The structural-schema checker, and the CRD against it.

test('the checker catches each structural violation', (t) => {
  const cases: [string, SchemaNode, RegExp][] = [
    ['missing type', { type: 'object', properties: { a: { maxLength: 3 } } }, /^\.a: missing type/],
    ['$ref', { type: 'object', properties: { a: { $ref: '#/definitions/A' } } }, /\$ref is not allowed/],
    ['$schema', { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }, /\$schema/],
    [
      'additionalProperties: false',
      { type: 'object', additionalProperties: false },
      /additionalProperties: false/,
    ],
    [
      'additionalProperties with properties',
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
      /additionalProperties together with properties/,
    ],
    [
      'anyOf carrying types',
      { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } },
      /anyOf\[0\]\): type inside a junctor/,
    ],
    [
      'oneOf carrying types',
      { type: 'string', oneOf: [{ type: 'string', nullable: true }] },
      /nullable inside a junctor/,
    ],
    [
      'allOf carrying types',
      { type: 'string', allOf: [{ type: 'string' }] },
      /allOf\[0\]\): type inside a junctor/,
    ],
    [
      'type null',
      { type: 'object', properties: { a: { type: 'null' } } },
      /type "null" is not one Kubernetes type/,
    ],
    ['type union', { type: ['string', 'null'] }, /is not one Kubernetes type/],
    ['nullable not a boolean', { type: 'string', nullable: 'yes' }, /nullable must be a boolean/],
    [
      'nullable without a type',
      { type: 'object', properties: { a: { nullable: true } } },
      /nullable without a type/,
    ],
    [
      'default of the wrong type',
      { type: 'integer', minimum: 1, default: 'one' },
      /default "one" is invalid/,
    ],
    ['default out of range', { type: 'integer', minimum: 1, default: 0 }, /default 0 is invalid/],
    [
      'default with an unknown field',
      { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } },
      /default .* is invalid/,
    ],
    [
      'default missing a required field',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], default: {} },
      /default \{\} is invalid/,
    ],
    ['array without items', { type: 'array' }, /an array needs one items schema/],
    [
      'metadata with a description',
      { type: 'object', properties: { metadata: { type: 'object', description: 'the metadata' } } },
      /\.metadata: only rules on name and generateName are allowed/,
    ],
  ];
  for (const [name, schema, expected] of cases) {
    const violations = structuralViolations(schema);
    t.true(
      violations.some((violation) => expected.test(violation)),
      `${name}: ${JSON.stringify(violations)}`,
    );
  }
  // ...and passes what is fine: maps, defaults that validate, nullable with a type, pure value junctors.
  t.deepEqual(
    structuralViolations({
      type: 'object',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
        port: { type: 'integer', minimum: 1, default: 80 },
        note: { type: 'string', nullable: true },
        size: { type: 'string', anyOf: [{ pattern: '^[0-9]+$' }, { maxLength: 2 }] },
      },
    }),
    [],
  );
});

test('the CRD schema is structural, defaults included', (t) => {
  t.deepEqual(structuralViolations(root), []);
  // ...which zod's own output is not: the flattening is what makes it so.
  const raw = z.toJSONSchema(skeletonAppStatusSchema, { io: 'input', target: 'openapi-3.0' }) as SchemaNode;
  const violations = structuralViolations(raw);
  t.deepEqual(violations, [
    ': additionalProperties: false (Kubernetes prunes instead)',
    '.conditions[]: additionalProperties: false (Kubernetes prunes instead)',
    '.failedMigration: additionalProperties: false (Kubernetes prunes instead)',
  ]);
});

test('zod output is flattened into structural schemas', (t) => {
  const flattened = zodToStructuralSchema(
    z.strictObject({
      nullableName: z.string().nullable(),
      mode: z.union([z.literal('a'), z.literal('b')]),
      phase: z.enum(['Up', 'Down']),
      fixed: z.literal(3),
      labels: z.record(z.string(), z.string()).default({}),
    }),
  );
  t.deepEqual(structuralViolations(flattened), []);
  t.like(flattened.properties, {
    nullableName: { type: 'string', nullable: true },
    mode: { type: 'string', enum: ['a', 'b'] },
    phase: { type: 'string', enum: ['Up', 'Down'] },
    fixed: { type: 'number', enum: [3] },
    labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
  });
  t.false('additionalProperties' in flattened);

  const shared = z.string().max(5).meta({ id: 'Shared' });
  const inlined = zodToStructuralSchema(z.object({ a: shared, b: shared }));
  t.deepEqual(structuralViolations(inlined), []);
  t.like(inlined.properties, { a: { type: 'string', maxLength: 5 }, b: { type: 'string', maxLength: 5 } });

  t.deepEqual(
    toStructuralSchema({ anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], default: null }),
    { type: 'integer', minimum: 1, nullable: true, default: null },
  );
  t.throws(() => zodToStructuralSchema(z.union([z.string(), z.int()])), {
    message: /not a structural schema/,
  });
  t.throws(() => toStructuralSchema({ $ref: '#/definitions/Missing' }), { message: /cannot resolve/ });
});

test('every string, list and map is bounded, so the CRD refuses what the children cannot carry', (t) => {
  // apiVersion and kind are kube-apiserver's to check.
  const unbounded = [...schemaNodes(root)]
    .filter(([where]) => where !== '.apiVersion' && where !== '.kind')
    .flatMap(([where, node]) => {
      if (node.type === 'string' && node.enum === undefined && node.maxLength === undefined)
        return [`${where}: a string without maxLength`];
      if (node.type === 'array' && node.maxItems === undefined) return [`${where}: a list without maxItems`];
      if (isNodeMap(node) && node.maxProperties === undefined)
        return [`${where}: a map without maxProperties`];
      return [];
    });
  t.deepEqual(unbounded, []);
});

test('a map’s keys are checked by a CEL rule the CRD carries, as zod checks them', (t) => {
  const maps = [...schemaNodes(root)].filter(([, node]) => isNodeMap(node));
  t.deepEqual(
    maps.map(([where]) => where),
    [
      '.spec.config',
      '.spec.monitoring.serviceMonitor.labels',
      '.spec.networkPolicy.ingressFrom[].namespaceSelector',
      '.spec.networkPolicy.ingressFrom[].podSelector',
      '.spec.ingress.controllerNamespaceSelector',
    ],
  );
  for (const [where, node] of maps)
    t.regex(
      String((node['x-kubernetes-validations'] as { rule: string }[] | undefined)?.[0]?.rule),
      /^self\.all\(k, size\(k\) <= \d+ && k\.matches\('\^[^\\']+\$'\)\)$/,
      where,
    );
  const config = child(specNode, 'config');
  t.true(celFailures(config, { LOG_LEVEL: 'x' }).length === 0);
  t.is(celFailures(config, { ['K'.repeat(129)]: 'x' }).length, 1);
  t.is(celFailures(config, { 'not-an-env-name': 'x' }).length, 1);
});

test('every field of the CRD has a description, so kubectl explain documents it', (t) => {
  // A list's items and a map's values are described by their field; kube-apiserver describes metadata.
  const undocumented = [...schemaNodes(root)]
    .filter(([where]) => !where.endsWith('[]') && !where.endsWith('.*') && where !== '.metadata')
    .filter(([, node]) => typeof node.description !== 'string' || node.description.trim() === '')
    .map(([where]) => where || '(the root)');
  t.deepEqual(undocumented, []);
});

// 2. The example is accepted everywhere.

test('the example is accepted by the CRD schema and by skeletonAppSpecSchema', (t) => {
  const object = structuredClone(example);
  t.true(strictValidate(object), JSON.stringify(strictValidate.errors));
  t.true(skeletonAppSpecSchema.safeParse(example.spec).success);
});

test('the CRD defaults the example exactly as zod does', (t) => {
  const object = structuredClone(example);
  t.true(strictValidate(object));
  t.deepEqual(object.spec, skeletonAppSpecSchema.parse(example.spec) as unknown as ExampleSpec);
});

test('every CEL rule holds on the defaulted example', (t) => {
  const object = structuredClone(example);
  t.true(strictValidate(object));
  t.deepEqual(celFailures(root, object), []);
  // ...and the rules really ran: one per cross-field rule, at the node it names.
  for (const rule of CROSS_FIELD_RULES) {
    t.deepEqual(child(specNode, ...rule.path)['x-kubernetes-validations'], [
      { rule: rule.cel, message: rule.message },
    ]);
  }
});

test('unknown fields are refused strictly, pruned otherwise', (t) => {
  const object = structuredClone(example) as typeof example & { spec: { replicaCount?: number } };
  object.spec.replicaCount = 3;
  t.false(strictValidate(structuredClone(object)));
  t.true(openValidate(structuredClone(object)), 'the CRD itself leaves unknown fields to pruning');
  const pruned = structuredClone(object);
  t.true(pruningValidate(pruned), JSON.stringify(pruningValidate.errors));
  t.false('replicaCount' in pruned.spec);
  // Maps keep their keys: pruning stops at additionalProperties schemas.
  const withConfig = structuredClone(example) as typeof example & {
    spec: { config?: Record<string, string> };
  };
  withConfig.spec.config = { LOG_LEVEL: 'debug' };
  t.true(pruningValidate(withConfig));
  t.deepEqual(withConfig.spec.config, { LOG_LEVEL: 'debug' });
});

test('CEL duration() is available in @marcbachmann/cel-js', (t) => {
  t.true(evaluate("duration('1h') >= duration('15m')"));
  t.false(evaluate("duration('10m') >= duration('15m')"));
  t.true(evaluate("duration('1h30m') == duration('90m')"));
});

// 3. Invalid specs: refused by zod and by the CRD (Ajv for one field, CEL for two).

/** `by`: which part of the CRD refuses the spec; `at`: for the schema, the Ajv error's instancePath. */
const invalid: {
  name: string;
  change: (spec: Record<string, unknown>) => void;
  by: 'schema' | 'cel';
  at?: string;
}[] = [
  {
    name: 'bad image',
    change: (spec) => Object.assign(spec, { image: 'registry.example.com/api' }),
    by: 'schema',
    at: '/spec/image',
  },
  {
    name: 'replicas.min 0',
    change: (spec) => Object.assign(spec, { replicas: { min: 0, max: 10 } }),
    by: 'schema',
    at: '/spec/replicas/min',
  },
  {
    name: 'replicas.max 101',
    change: (spec) => Object.assign(spec, { replicas: { min: 2, max: 101 } }),
    by: 'schema',
    at: '/spec/replicas/max',
  },
  {
    name: 'unknown spec field',
    change: (spec) => Object.assign(spec, { replicaCount: 3 }),
    by: 'schema',
    at: '/spec',
  },
  {
    name: 'bad duration',
    change: (spec) => Object.assign(spec, { jwt: { rotationInterval: '30 days', accessTokenTTL: '15m' } }),
    by: 'schema',
    at: '/spec/jwt/rotationInterval',
  },
  {
    name: 'bad quantity',
    change: (spec) => Object.assign(spec, { resources: { requests: { cpu: '100 millicores' } } }),
    by: 'schema',
    at: '/spec/resources/requests/cpu',
  },
  {
    name: 'missing database',
    change: (spec) => {
      delete spec.database;
    },
    by: 'schema',
    at: '/spec',
  },
  {
    name: 'replicas.min > max',
    change: (spec) => Object.assign(spec, { replicas: { min: 5, max: 3 } }),
    by: 'cel',
  },
  {
    name: 'previousKeyRetention < accessTokenTTL',
    change: (spec) =>
      Object.assign(spec, {
        jwt: { rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '10m' },
      }),
    by: 'cel',
  },
];

for (const { name, change, by, at } of invalid) {
  test(`refused by zod and the CRD: ${name}`, (t) => {
    const object = structuredClone(example) as { spec: Record<string, unknown> };
    change(object.spec);
    t.false(skeletonAppSpecSchema.safeParse(object.spec).success, 'zod accepted it');

    const valid = strictValidate(object);
    if (by === 'schema') {
      t.false(valid, 'the CRD schema accepted it');
      t.deepEqual(
        strictValidate.errors?.map((error) => error.instancePath),
        [at],
        JSON.stringify(strictValidate.errors),
      );
      return;
    }
    // A cross-field rule: the schema passes it, the CEL rule on spec.<path> refuses it.
    t.true(valid, JSON.stringify(strictValidate.errors));
    const failures = celFailures(specNode, object.spec, 'spec');
    t.is(failures.length, 1, JSON.stringify(failures));
    t.is(failures[0]?.error, undefined);
    const rule = CROSS_FIELD_RULES.find((candidate) => candidate.message === failures[0]?.message);
    t.truthy(rule);
    t.is(failures[0]?.path, `spec.${rule?.path.join('.')}`);
    const issues = skeletonAppSpecSchema.safeParse(object.spec).error?.issues ?? [];
    t.deepEqual(
      issues.map((issue) => issue.message),
      [rule?.message],
    );
  });
}

// 4. The app's name: its Services are named after it, the metrics one with `-metrics` added.

/** Names both Services can carry (true) and names they cannot (false). */
const NAMES: Record<string, boolean> = {
  accounts: true,
  a: true,
  'web-2': true,
  ['a'.repeat(55)]: true,
  ['a'.repeat(56)]: false,
  ['a'.repeat(63)]: false,
  'web.v2': false,
  '1web': false,
  ['a'.repeat(64)]: false,
  ['a'.repeat(70)]: false,
  Web: false,
  'web-': false,
  web_v2: false,
};

test('zod and the CRD’s rule at its root refuse the same names for a new app', (t) => {
  t.deepEqual(root['x-kubernetes-validations'], [APP_NAME_VALIDATION]);
  for (const [name, valid] of Object.entries(NAMES)) {
    t.is(skeletonAppNameSchema.safeParse(name).success, valid, `zod: ${name}`);
    const object = { ...structuredClone(example), metadata: { name } };
    t.true(strictValidate(object));
    const failures = celFailures(root, object).filter((failure) => failure.path === '');
    t.deepEqual(
      failures.map((failure) => failure.message),
      valid ? [] : [APP_NAME_VALIDATION.message],
      `CRD: ${name}`,
    );
  }
});

test('an app that exists already passes the name rule whatever its name, so it can still be updated', (t) => {
  const cel = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: true });
  const self = { metadata: { name: 'web.v2' } };
  t.false(cel.evaluate(APP_NAME_VALIDATION.rule, { self, oldSelf: cel.evaluate('optional.none()', {}) }));
  t.true(
    cel.evaluate(APP_NAME_VALIDATION.rule, { self, oldSelf: cel.evaluate('optional.of(x)', { x: self }) }),
  );
});

// 5. The CRD's identity.

test('the CRD has its names, status subresource and printer columns', (t) => {
  t.is(crd.apiVersion, 'apiextensions.k8s.io/v1');
  t.is(crd.kind, 'CustomResourceDefinition');
  t.is(crd.metadata.name, 'skeletonapps.platform.skeleton.dev');
  t.is(crd.spec.group, 'platform.skeleton.dev');
  t.is(crd.spec.scope, 'Namespaced');
  t.deepEqual(crd.spec.names, {
    kind: 'SkeletonApp',
    listKind: 'SkeletonAppList',
    plural: 'skeletonapps',
    singular: 'skeletonapp',
    shortNames: ['ska'],
    categories: ['all', 'skeleton'],
  });
  t.is(crd.spec.versions.length, 1);
  t.like(version, { name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  t.deepEqual(version.additionalPrinterColumns, [
    { name: 'IMAGE', type: 'string', jsonPath: '.spec.image' },
    { name: 'READY', type: 'string', jsonPath: '.status.ready' },
    { name: 'STATUS', type: 'string', jsonPath: '.status.phase' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  t.like(root, {
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } },
    required: ['spec'],
  });
  t.deepEqual(Object.keys(root.properties as object), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  t.like(child(root, 'status', 'conditions'), { type: 'array', items: { type: 'object' } });
  t.like(child(root, 'status', 'conditions').items, { properties: { type: { type: 'string' } } });
  t.true(JSON.stringify(crd) === JSON.stringify(JSON.parse(JSON.stringify(crd))), 'plain JSON');
});

test('a SkeletonApp status validates against the status schema', (t) => {
  const status = {
    observedGeneration: 3,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'AllReplicasReady',
        message: '3/3 replicas ready',
        lastTransitionTime: '2025-01-02T03:04:05Z',
      },
    ],
    ready: '3/3',
    phase: 'AllReplicasReady',
  };
  t.true(strictValidate({ ...structuredClone(example), status }), JSON.stringify(strictValidate.errors));
  const badCondition = { ...status, conditions: [{ ...status.conditions[0], type: 'Happy' }] };
  t.false(strictValidate({ ...structuredClone(example), status: badCondition }));
});

test('status conditions are a list map keyed by type, so apply merges them', (t) => {
  const status = (
    skeletonAppOpenApiSchema().properties as Record<string, { properties: Record<string, object> }>
  ).status;
  t.like(status?.properties.conditions, {
    type: 'array',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
});
