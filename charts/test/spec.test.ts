import test from 'ava';
import { CROSS_FIELD_RULES, durationSeconds, skeletonAppSpecSchema } from '../src/spec.js';

const minimal = {
  image: 'registry.example.com/skeleton-api:1.4.2',
  database: { secretRef: { name: 'accounts-db' } },
};

test('a minimal spec gets every default', (t) => {
  const spec = skeletonAppSpecSchema.parse(minimal);
  t.like(spec, {
    replicas: { min: 2, max: 10 },
    autoscaling: { targetCPUUtilizationPercentage: 70 },
    database: { secretRef: { name: 'accounts-db', key: 'url' } },
    migrations: { enabled: true, backoffLimit: 2, activeDeadlineSeconds: 600 },
    jwt: { rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '1h' },
    monitoring: { serviceMonitor: { enabled: false, interval: '30s' } },
    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    networkPolicy: { enabled: true, databasePort: 5432 },
    service: { port: 80 },
  });
  t.is(spec.redis, undefined);
  t.is(spec.ingress, undefined);
});

test('images need a tag or a digest', (t) => {
  for (const image of [
    'registry.example.com/api:1.0.0',
    `api@sha256:${'a'.repeat(64)}`,
    'localhost:5000/team/api:v2',
  ]) {
    t.true(skeletonAppSpecSchema.safeParse({ ...minimal, image }).success, image);
  }
  for (const image of ['api', 'registry.example.com/api', 'API:1', 'api:', 'api@sha256:short']) {
    t.false(skeletonAppSpecSchema.safeParse({ ...minimal, image }).success, image);
  }
});

test('unknown fields and bad values are refused with their path', (t) => {
  const paths = (input: unknown) =>
    skeletonAppSpecSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.')) ?? [];
  t.deepEqual(paths({ ...minimal, replica: 3 }), ['']);
  t.deepEqual(paths({ ...minimal, replicas: { min: 0 } }), ['replicas.min']);
  t.deepEqual(paths({ ...minimal, jwt: { rotationInterval: '30 days' } }), ['jwt.rotationInterval']);
  t.deepEqual(paths({ ...minimal, resources: { requests: { cpu: 'lots' } } }), ['resources.requests.cpu']);
  t.deepEqual(paths({ ...minimal, config: { 'not-an-env-name': 'x' } }), ['config.not-an-env-name']);
  t.deepEqual(paths({ image: minimal.image }), ['database']);
});

test('cross-field rules: replicas min ≤ max, key retention ≥ token lifetime', (t) => {
  const messages = (input: unknown) =>
    skeletonAppSpecSchema
      .safeParse(input)
      .error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  t.deepEqual(messages({ ...minimal, replicas: { min: 5, max: 2 } }), [
    'replicas: replicas.min must not exceed replicas.max',
  ]);
  t.deepEqual(messages({ ...minimal, jwt: { accessTokenTTL: '2h', previousKeyRetention: '1h' } }), [
    'jwt: jwt.previousKeyRetention must be at least jwt.accessTokenTTL, or rotation would reject live tokens',
  ]);
  t.true(skeletonAppSpecSchema.safeParse({ ...minimal, replicas: { min: 3, max: 3 } }).success);
  // The third rule, on config keys, is a map-key rule now (bounded-map.ts), with the labels' keys.
  t.is(CROSS_FIELD_RULES.length, 2);
});

test('map keys are checked at their own path: config keys and label keys', (t) => {
  const paths = (input: unknown) =>
    skeletonAppSpecSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.')) ?? [];
  t.deepEqual(paths({ ...minimal, config: { [`K${'E'.repeat(128)}`]: 'x' } }), [
    `config.K${'E'.repeat(128)}`,
  ]);
  const labels = (selector: Record<string, string>) => ({
    ...minimal,
    networkPolicy: { ingressFrom: [{ podSelector: selector }] },
  });
  t.deepEqual(paths(labels({ 'app name': 'x' })), ['networkPolicy.ingressFrom.0.podSelector.app name']);
  t.deepEqual(paths(labels({ 'example.com/app': 'x' })), []);
  const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'x']));
  t.deepEqual(paths(labels(many)), ['networkPolicy.ingressFrom.0.podSelector']);
});

test('durations are read as Go writes them', (t) => {
  t.is(durationSeconds('720h'), 2_592_000);
  t.is(durationSeconds('1h30m'), 5_400);
  t.is(durationSeconds('45s'), 45);
});
