import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import test from 'ava';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import {
  type KubernetesObject,
  migrationJobName,
  type RenderContext,
  renderSkeletonApp,
} from '../src/render/index.js';
import { type SkeletonAppSpecInput, skeletonAppSpecSchema } from '../src/spec.js';

const IMAGE = 'registry.example.com/skeleton-api:1.4.2';
const DIGEST = 'f'.repeat(12) + 'a'.repeat(52);
const PINNED = `registry.example.com/skeleton-api@sha256:${DIGEST}`;

const minimal: SkeletonAppSpecInput = { image: IMAGE, database: { secretRef: { name: 'accounts-db' } } };

const baseContext: RenderContext = {
  approvedImage: IMAGE,
  keySetSecretName: 'accounts-jwt-keys',
  serviceMonitorAvailable: false,
};

function render(overrides: Partial<SkeletonAppSpecInput> = {}, context: Partial<RenderContext> = {}) {
  const spec = skeletonAppSpecSchema.parse({ ...minimal, ...overrides });
  return renderSkeletonApp(
    { name: 'accounts', namespace: 'team-a', uid: 'uid-1', spec },
    { ...baseContext, ...context },
  );
}

function find(objects: KubernetesObject[], kind: string): KubernetesObject | undefined {
  return objects.find((o) => o.kind === kind);
}

// Typed views through kubernetes-models, which also validate against the Kubernetes OpenAPI schema.
const deployment = (objects: KubernetesObject[]) => new Deployment(find(objects, 'Deployment') as never);
const job = (objects: KubernetesObject[]) => new Job(find(objects, 'Job') as never);
const hpa = (objects: KubernetesObject[]) =>
  new HorizontalPodAutoscaler(find(objects, 'HorizontalPodAutoscaler') as never);
const netpol = (objects: KubernetesObject[]) => new NetworkPolicy(find(objects, 'NetworkPolicy') as never);
const apiContainer = (objects: KubernetesObject[]) => {
  const container = deployment(objects).spec?.template.spec?.containers[0];
  if (!container) throw new Error('no container');
  return container;
};
const envOf = (objects: KubernetesObject[]) =>
  Object.fromEntries((apiContainer(objects).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

const everything: Partial<SkeletonAppSpecInput> = {
  config: { LOG_LEVEL: 'info' },
  redis: { secretRef: { name: 'accounts-redis', key: 'uri' } },
  monitoring: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
  ingress: { host: 'accounts.example.com', tlsSecretName: 'accounts-tls', className: 'nginx' },
};

test('a minimal spec renders the core objects in a stable order', (t) => {
  t.deepEqual(
    render().map((o) => `${o.kind}/${o.metadata.name}`),
    [
      'ServiceAccount/accounts',
      `Job/${migrationJobName('accounts', skeletonAppSpecSchema.parse(minimal))}`,
      'Deployment/accounts',
      'Service/accounts',
      'Service/accounts-metrics',
      'HorizontalPodAutoscaler/accounts',
      'PodDisruptionBudget/accounts',
      'NetworkPolicy/accounts',
      'NetworkPolicy/accounts-migration',
    ],
  );
});

test('every object validates against the Kubernetes schema', (t) => {
  const models: Record<string, (o: KubernetesObject) => { validate(): void }> = {
    ServiceAccount: (o) => new ServiceAccount(o as never),
    ConfigMap: (o) => new ConfigMap(o as never),
    Job: (o) => new Job(o as never),
    Deployment: (o) => new Deployment(o as never),
    Service: (o) => new Service(o as never),
    HorizontalPodAutoscaler: (o) => new HorizontalPodAutoscaler(o as never),
    PodDisruptionBudget: (o) => new PodDisruptionBudget(o as never),
    NetworkPolicy: (o) => new NetworkPolicy(o as never),
    ServiceMonitor: (o) => new ServiceMonitor(o as never),
    Ingress: (o) => new Ingress(o as never),
  };
  const objects = render(everything, { serviceMonitorAvailable: true, ownerReference: true });
  t.is(objects.length, 12);
  for (const object of objects) {
    const model = models[object.kind];
    if (!model) return t.fail(`unexpected kind ${object.kind}`);
    t.notThrows(() => model(object).validate(), object.kind);
  }
});

test('every object carries the standard labels and the namespace; what runs the image, its version', (t) => {
  for (const object of render(everything, { serviceMonitorAvailable: true })) {
    t.is(object.metadata.namespace, 'team-a');
    const runsImage = object.kind === 'Deployment' || object.kind === 'Job';
    t.is(object.metadata.labels?.['app.kubernetes.io/version'], runsImage ? '1.4.2' : undefined);
    t.like(object.metadata.labels, {
      'app.kubernetes.io/name': 'skeleton-api',
      'app.kubernetes.io/instance': 'accounts',
      'app.kubernetes.io/component':
        object.kind === 'Job' || object.metadata.name.endsWith('-migration')
          ? 'migration'
          : object.metadata.name.endsWith('-metrics')
            ? 'metrics'
            : 'api',
      'app.kubernetes.io/part-of': 'skeleton',
      'app.kubernetes.io/managed-by': 'skeleton-operator',
    });
  }
});

test('no cdk8s names, labels or annotations leak into the output', (t) => {
  const text = JSON.stringify(render(everything, { serviceMonitorAvailable: true }));
  t.false(text.includes('cdk8s'));
  for (const object of render(everything))
    t.regex(object.metadata.name, /^accounts(-config|-metrics|-migration|-migrate-[0-9a-f]{10})?$/);
});

test('rendering twice gives deep-equal output', (t) => {
  const context = { serviceMonitorAvailable: true, ownerReference: true };
  t.deepEqual(render(everything, context), render(everything, context));
});

test('selectors are subsets of the pod template labels and omit the version', (t) => {
  const objects = render(everything, { serviceMonitorAvailable: true });
  const podLabels = deployment(objects).spec?.template.metadata?.labels ?? {};
  const selectors = [
    deployment(objects).spec?.selector.matchLabels,
    ...objects.filter((o) => o.kind === 'Service').map((o) => new Service(o as never).spec?.selector),
    new PodDisruptionBudget(find(objects, 'PodDisruptionBudget') as never).spec?.selector?.matchLabels,
    netpol(objects).spec?.podSelector?.matchLabels,
  ];
  for (const selector of selectors) {
    if (!selector) return t.fail('missing selector');
    t.false('app.kubernetes.io/version' in selector);
    for (const [key, value] of Object.entries(selector)) t.is(podLabels[key], value, key);
  }
  // The ServiceMonitor selects a Service, not pods: the metrics Service alone.
  const monitored = new ServiceMonitor(find(objects, 'ServiceMonitor') as never).spec?.selector.matchLabels;
  t.deepEqual(
    objects
      .filter(
        (o) =>
          o.kind === 'Service' &&
          Object.entries(monitored ?? {}).every(([key, value]) => o.metadata.labels?.[key] === value),
      )
      .map((o) => o.metadata.name),
    ['accounts-metrics'],
  );
  // The migration pods must not match the API's selector.
  const jobLabels = job(objects).spec?.template.metadata?.labels ?? {};
  t.is(jobLabels['app.kubernetes.io/component'], 'migration');
});

test('the Deployment has no replicas: the HPA owns scaling', (t) => {
  const spec = find(render(), 'Deployment')?.spec as Record<string, unknown>;
  t.false('replicas' in spec);
});

test('the Deployment runs the approved image, not spec.image', (t) => {
  const newer = 'registry.example.com/skeleton-api:1.5.0';
  const objects = render({ image: newer }, { approvedImage: IMAGE });
  t.is(apiContainer(objects).image, IMAGE);
  t.is(deployment(objects).metadata?.labels?.['app.kubernetes.io/version'], '1.4.2');
  t.is(job(objects).spec?.template.spec?.containers[0]?.image, newer);
  t.is(job(objects).metadata?.labels?.['app.kubernetes.io/version'], '1.5.0');
});

test('a digest-pinned image is pulled IfNotPresent and versioned by its digest', (t) => {
  const objects = render({ image: PINNED }, { approvedImage: PINNED });
  t.is(apiContainer(objects).imagePullPolicy, 'IfNotPresent');
  t.is(job(objects).spec?.template.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
  t.is(deployment(objects).metadata?.labels?.['app.kubernetes.io/version'], 'ffffffffffff');
  t.is(apiContainer(render()).imagePullPolicy, 'Always');
  const withPort = 'localhost:5000/team/api:v2';
  t.is(
    deployment(render({ image: withPort }, { approvedImage: withPort })).metadata?.labels?.[
      'app.kubernetes.io/version'
    ],
    'v2',
  );
});

test('the container gets its environment, port and probes', (t) => {
  const container = apiContainer(render());
  t.deepEqual(container.ports, [
    { name: 'http', containerPort: 3000, protocol: 'TCP' },
    { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
  ]);
  t.deepEqual(envOf(render()), {
    NODE_ENV: 'production',
    PORT: '3000',
    HOST: '0.0.0.0',
    METRICS_PORT: '9090',
    DATABASE_URL: { secretKeyRef: { name: 'accounts-db', key: 'url' } },
    PRINCIPAL_CACHE_TTL: '0s',
    REDIS_KEY_PREFIX: 'team-a:accounts:',
    JWT_KEYS_FILE: '/var/run/skeleton/keys/keys.json',
    ACCESS_TOKEN_TTL: '15m',
    JWT_ISSUER: 'https://accounts.team-a.svc',
    MIGRATE_ON_START: 'false',
  });
  t.is(container.readinessProbe?.httpGet?.path, '/health/ready');
  t.is(container.livenessProbe?.httpGet?.path, '/health/live');
  t.is(container.readinessProbe?.httpGet?.port, 'http');
  t.is(container.livenessProbe?.httpGet?.port, 'http');
  const startup = container.startupProbe;
  t.is(startup?.httpGet?.path, '/health/live');
  t.true((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) >= 60);
});

test('redis adds REDIS_URL from its secret; database uses its secret key', (t) => {
  const env = envOf(
    render({ database: { secretRef: { name: 'db2', key: 'dsn' } }, redis: { secretRef: { name: 'rd' } } }),
  );
  t.deepEqual(env.DATABASE_URL, { secretKeyRef: { name: 'db2', key: 'dsn' } });
  t.deepEqual(env.REDIS_URL, { secretKeyRef: { name: 'rd', key: 'url' } });
  t.false('REDIS_URL' in envOf(render()));
});

test('with redis, RATE_LIMIT_REPLICAS is replicas.max rounded up to a power of two: how many pods may count apart while Redis is down', (t) => {
  const redis = { secretRef: { name: 'rd' } };
  t.is(envOf(render({ redis })).RATE_LIMIT_REPLICAS, '16', 'the default maximum, 10');
  t.is(envOf(render({ redis, replicas: { min: 1, max: 4 } })).RATE_LIMIT_REPLICAS, '4');
  t.is(envOf(render({ redis, replicas: { min: 1, max: 1 } })).RATE_LIMIT_REPLICAS, '1');
  t.is(envOf(render({ redis, replicas: { min: 1, max: 5 } })).RATE_LIMIT_REPLICAS, '8');
  t.false('RATE_LIMIT_REPLICAS' in envOf(render()), 'without Redis each pod limits alone anyway');
});

test('without redis and with room for more than one pod, each pod checks sessions in PostgreSQL every time: no pod could tell the others of a logout', (t) => {
  t.is(envOf(render()).PRINCIPAL_CACHE_TTL, '0s', 'the default maximum, 10');
  t.false('PRINCIPAL_CACHE_TTL' in envOf(render({ replicas: { min: 1, max: 1 } })), 'one pod hears itself');
  t.false(
    'PRINCIPAL_CACHE_TTL' in envOf(render({ redis: { secretRef: { name: 'rd' } } })),
    'pods tell each other through Redis',
  );
});

test('JWT_ISSUER, which the API needs in production, defaults to the app address unless spec.config sets it', (t) => {
  const objects = render({ config: { JWT_ISSUER: 'https://id.example.com' } });
  t.false('JWT_ISSUER' in envOf(objects), 'left to the ConfigMap, which env would otherwise override');
  t.is(envOf(render()).JWT_ISSUER, 'https://accounts.team-a.svc');
});

test('jwt.accessTokenTTL becomes ACCESS_TOKEN_TTL', (t) => {
  const env = envOf(
    render({ jwt: { accessTokenTTL: '5m', previousKeyRetention: '1h', rotationInterval: '720h' } }),
  );
  t.is(env.ACCESS_TOKEN_TTL, '5m');
});

test('the key set is mounted as a read-only directory, not a subPath', (t) => {
  const objects = render();
  const mount = apiContainer(objects).volumeMounts?.find((m) => m.mountPath === '/var/run/skeleton/keys');
  t.truthy(mount);
  t.true(mount?.readOnly);
  t.is(mount?.subPath, undefined);
  const volume = deployment(objects).spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
  t.is(volume?.secret?.secretName, 'accounts-jwt-keys');
  t.deepEqual(volume?.secret?.items, [{ key: 'keys.json', path: 'keys.json' }]);
});

test('pods meet the restricted Pod Security Standard and get a /tmp emptyDir', (t) => {
  const objects = render();
  for (const pod of [deployment(objects).spec?.template.spec, job(objects).spec?.template.spec]) {
    t.deepEqual(pod?.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    t.false(pod?.automountServiceAccountToken);
    t.is(pod?.serviceAccountName, 'accounts');
    const container = pod?.containers[0];
    t.like(container?.securityContext, {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    t.deepEqual(
      pod?.volumes?.find((v) => v.name === 'tmp'),
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    );
    t.true(container?.volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'));
  }
  t.like(find(objects, 'ServiceAccount'), { automountServiceAccountToken: false });
});

test('the Deployment spreads, rolls and drains as specified', (t) => {
  const spec = deployment(render()).spec;
  t.deepEqual(spec?.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
  });
  t.is(spec?.revisionHistoryLimit, 5);
  const pod = spec?.template.spec;
  t.is(pod?.terminationGracePeriodSeconds, 45);
  t.is(pod?.priorityClassName, undefined);
  t.deepEqual(
    pod?.topologySpreadConstraints?.map((c) => [c.topologyKey, c.whenUnsatisfiable]),
    [
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ],
  );
  const anti = pod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  t.is(anti?.[0]?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
});

test('resources: requests, memory and disk limits, CPU limit only when given', (t) => {
  t.deepEqual(apiContainer(render()).resources, {
    requests: { cpu: '100m', memory: '192Mi', 'ephemeral-storage': '64Mi' },
    limits: { memory: '384Mi', 'ephemeral-storage': '256Mi' },
  });
  const objects = render({
    resources: {
      requests: { cpu: '250m', memory: '256Mi', ephemeralStorage: '128Mi' },
      limits: { cpu: '1', memory: '512Mi', ephemeralStorage: '1Gi' },
    },
  });
  const expected = {
    requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '128Mi' },
    limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': '1Gi' },
  };
  t.deepEqual(apiContainer(objects).resources, expected);
  t.deepEqual(job(objects).spec?.template.spec?.containers[0]?.resources, expected);
});

test('config renders a ConfigMap used through envFrom, and rolls pods when it changes', (t) => {
  t.is(find(render(), 'ConfigMap'), undefined);
  t.is(apiContainer(render()).envFrom, undefined);
  const objects = render({ config: { LOG_LEVEL: 'debug', FEATURE_X: 'on' } });
  t.like(find(objects, 'ConfigMap'), {
    metadata: { name: 'accounts-config' },
    data: { LOG_LEVEL: 'debug', FEATURE_X: 'on' },
  });
  t.deepEqual(apiContainer(objects).envFrom, [{ configMapRef: { name: 'accounts-config' } }]);
  const hash = (o: KubernetesObject[]) =>
    deployment(o).spec?.template.metadata?.annotations?.['platform.skeleton.dev/config-hash'];
  t.not(hash(objects), hash(render({ config: { LOG_LEVEL: 'info', FEATURE_X: 'on' } })));
  t.is(hash(objects), hash(render({ config: { FEATURE_X: 'on', LOG_LEVEL: 'debug' } })));
});

test('replicas and autoscaling targets shape the HPA', (t) => {
  t.like(hpa(render()).spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'accounts' },
    minReplicas: 2,
    maxReplicas: 10,
  });
  t.deepEqual(hpa(render()).spec?.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
  ]);
  const spec = hpa(
    render({
      replicas: { min: 3, max: 7 },
      autoscaling: { targetCPUUtilizationPercentage: 50, targetMemoryUtilizationPercentage: 80 },
    }),
  ).spec;
  t.is(spec?.minReplicas, 3);
  t.is(spec?.maxReplicas, 7);
  t.deepEqual(
    spec?.metrics?.map((m) => [m.resource?.name, m.resource?.target.averageUtilization]),
    [
      ['cpu', 50],
      ['memory', 80],
    ],
  );
});

test('the migration Job runs the command with its limits', (t) => {
  const objects = render({
    migrations: {
      enabled: true,
      command: ['node', 'migrate.js'],
      backoffLimit: 4,
      activeDeadlineSeconds: 120,
    },
  });
  const spec = job(objects).spec;
  t.like(spec, { backoffLimit: 4, activeDeadlineSeconds: 120, ttlSecondsAfterFinished: 86400 });
  const pod = spec?.template.spec;
  t.is(pod?.restartPolicy, 'Never');
  t.deepEqual(pod?.containers[0]?.command, ['node', 'migrate.js']);
  t.deepEqual(pod?.containers[0]?.env, [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'accounts-db', key: 'url' } } },
  ]);
  const defaults = job(render()).spec;
  t.like(defaults, { backoffLimit: 2, activeDeadlineSeconds: 600 });
  t.deepEqual(defaults?.template.spec?.containers[0]?.command, ['node', 'dist/cli/migrate.js', 'up']);
});

test('migrations.enabled: false renders no Job', (t) => {
  t.is(find(render({ migrations: { enabled: false } }), 'Job'), undefined);
  t.false(render({ migrations: { enabled: false } }).some((o) => o.metadata.name === 'accounts-migration'));
});

test('migration pods get a policy of their own: no ingress, DNS and the database only', (t) => {
  const policy = render({ networkPolicy: { egressTo: ['10.0.5.0/24'] } }).find(
    (o) => o.metadata.name === 'accounts-migration',
  ) as unknown as {
    spec: { podSelector: { matchLabels: Record<string, string> }; ingress: unknown[]; egress: unknown[] };
  };
  t.like(policy.spec.podSelector.matchLabels, { 'app.kubernetes.io/component': 'migration' });
  t.deepEqual(policy.spec.ingress, []);
  t.deepEqual(policy.spec.egress[1], {
    to: [{ ipBlock: { cidr: '10.0.5.0/24' } }],
    ports: [{ port: 5432, protocol: 'TCP' }],
  });
  t.false(render({ networkPolicy: { enabled: false } }).some((o) => o.kind === 'NetworkPolicy'));
});

test('the Job name changes with anything in its template, not with unrelated fields', (t) => {
  const name = (overrides: Partial<SkeletonAppSpecInput>) =>
    migrationJobName('accounts', skeletonAppSpecSchema.parse({ ...minimal, ...overrides }));
  const base = name({});
  t.regex(base, /^accounts-migrate-[0-9a-f]{10}$/);
  t.is(job(render()).metadata?.name, base);
  t.not(name({ image: 'registry.example.com/skeleton-api:1.4.3' }), base);
  t.not(name({ migrations: { command: ['node', 'other.js'] } }), base);
  t.not(name({ migrations: { backoffLimit: 5 } }), base);
  t.not(name({ migrations: { activeDeadlineSeconds: 900 } }), base);
  // A Job's pod template is immutable: a new limit or database Secret needs a new Job.
  t.not(name({ resources: { limits: { memory: '768Mi' } } }), base);
  t.not(name({ database: { secretRef: { name: 'accounts-db-2' } } }), base);
  t.is(name({ replicas: { min: 4, max: 8 } }), base);
  t.is(name({ config: { A: 'b' } }), base);
  t.is(name({ redis: { secretRef: { name: 'r' } } }), base);
  t.is(name({ service: { port: 8080 } }), base);
  // The approved image is not part of it: the Job is for the desired image.
  t.is(job(render({}, { approvedImage: 'registry.example.com/skeleton-api:0.9.0' })).metadata?.name, base);
});

for (const [enabled, available] of [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const) {
  test(`ServiceMonitor enabled=${enabled} available=${available}`, (t) => {
    const objects = render(
      { monitoring: { serviceMonitor: { enabled, interval: '15s', labels: { release: 'prom' } } } },
      { serviceMonitorAvailable: available },
    );
    const monitor = find(objects, 'ServiceMonitor');
    const fromMonitoring = JSON.stringify(netpol(objects).spec?.ingress).includes('"monitoring"');
    if (!(enabled && available)) {
      t.is(monitor, undefined);
      t.false(fromMonitoring);
      return;
    }
    t.true(fromMonitoring);
    const spec = new ServiceMonitor(monitor as never).spec;
    t.deepEqual(spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '15s' }]);
    t.like(monitor?.metadata.labels, { release: 'prom', 'app.kubernetes.io/instance': 'accounts' });
    t.is(spec.jobLabel, 'app.kubernetes.io/name', 'job="skeleton-api", as the alerts select it');
    t.is(find(objects, 'Service')?.metadata.labels?.['app.kubernetes.io/name'], 'skeleton-api');
  });
}

test('ServiceMonitor labels cannot replace the standard labels', (t) => {
  const objects = render(
    { monitoring: { serviceMonitor: { enabled: true, labels: { 'app.kubernetes.io/name': 'other' } } } },
    { serviceMonitorAvailable: true },
  );
  t.is(find(objects, 'ServiceMonitor')?.metadata.labels?.['app.kubernetes.io/name'], 'skeleton-api');
});

test('PodDisruptionBudget on and off', (t) => {
  t.like(find(render(), 'PodDisruptionBudget'), {
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  t.like(find(render({ podDisruptionBudget: { enabled: true, maxUnavailable: 2 } }), 'PodDisruptionBudget'), {
    spec: { maxUnavailable: 2 },
  });
  t.is(find(render({ podDisruptionBudget: { enabled: false } }), 'PodDisruptionBudget'), undefined);
});

test('NetworkPolicy off renders none', (t) => {
  t.is(find(render({ networkPolicy: { enabled: false } }), 'NetworkPolicy'), undefined);
});

test('NetworkPolicy defaults: same-namespace ingress, DNS and database egress anywhere', (t) => {
  const spec = netpol(render()).spec;
  t.deepEqual(spec?.policyTypes, ['Ingress', 'Egress']);
  t.deepEqual(spec?.ingress, [{ from: [{ podSelector: {} }], ports: [{ port: 'http', protocol: 'TCP' }] }]);
  t.deepEqual(spec?.egress, [
    {
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
    { ports: [{ port: 5432, protocol: 'TCP' }] },
  ]);
});

test('NetworkPolicy peers, egress CIDRs and the redis port', (t) => {
  const spec = netpol(
    render({
      redis: { secretRef: { name: 'rd' } },
      networkPolicy: {
        ingressFrom: [
          { namespaceSelector: { team: 'edge' }, podSelector: { app: 'gateway' } },
          { podSelector: { role: 'frontend' } },
        ],
        egressTo: ['10.0.0.0/16', '192.168.1.10/32'],
        databasePort: 6432,
        redisPort: 6380,
      },
    }),
  ).spec;
  t.deepEqual(spec?.ingress?.[0]?.from, [
    {
      namespaceSelector: { matchLabels: { team: 'edge' } },
      podSelector: { matchLabels: { app: 'gateway' } },
    },
    { podSelector: { matchLabels: { role: 'frontend' } } },
  ]);
  t.deepEqual(spec?.egress?.[1], {
    to: [{ ipBlock: { cidr: '10.0.0.0/16' } }, { ipBlock: { cidr: '192.168.1.10/32' } }],
    ports: [
      { port: 6432, protocol: 'TCP' },
      { port: 6380, protocol: 'TCP' },
    ],
  });
});

test('the Service exposes spec.service.port on the named http port, and nothing else', (t) => {
  const spec = (o: KubernetesObject[]) => new Service(find(o, 'Service') as never).spec;
  t.deepEqual(spec(render())?.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  t.is(spec(render({ service: { port: 8080 } }))?.ports?.[0]?.port, 8080);
  t.is(spec(render())?.type, 'ClusterIP');
});

test('the Ingress routes what clients use and neither the probes nor the metrics', (t) => {
  const rules = new Ingress(find(render({ ingress: { host: 'a.example.com' } }), 'Ingress') as never).spec
    ?.rules?.[0]?.http?.paths;
  // Kubernetes' matching: Exact is the whole path; Prefix is by path element.
  const routed = (path: string) =>
    (rules ?? []).some((rule) =>
      rule.pathType === 'Exact'
        ? path === rule.path
        : path === rule.path?.replace(/\/$/, '') || path.startsWith(rule.path?.replace(/\/?$/, '/') ?? ''),
    );
  for (const path of ['/api/v1/auth/login', '/api/v1/users/me', '/openapi.json', '/.well-known/jwks.json'])
    t.true(routed(path), path);
  for (const path of ['/health/live', '/health/ready', '/metrics', '/', '/apiary'])
    t.false(routed(path), path);
});

test('Ingress with and without TLS and class', (t) => {
  t.is(find(render(), 'Ingress'), undefined);
  const plain = new Ingress(find(render({ ingress: { host: 'a.example.com' } }), 'Ingress') as never).spec;
  t.is(plain?.tls, undefined);
  t.is(plain?.ingressClassName, undefined);
  t.deepEqual(plain?.rules, [
    {
      host: 'a.example.com',
      http: {
        paths: [
          { path: '/api/', pathType: 'Prefix' },
          { path: '/openapi.json', pathType: 'Exact' },
          { path: '/.well-known/jwks.json', pathType: 'Exact' },
        ].map((route) => ({
          ...route,
          backend: { service: { name: 'accounts', port: { name: 'http' } } },
        })),
      },
    },
  ]);
  const secure = new Ingress(find(render(everything), 'Ingress') as never).spec;
  t.deepEqual(secure?.tls, [{ hosts: ['accounts.example.com'], secretName: 'accounts-tls' }]);
  t.is(secure?.ingressClassName, 'nginx');
});

test('owner references on every object only when asked for', (t) => {
  const expected = [
    {
      apiVersion: 'platform.skeleton.dev/v1alpha1',
      kind: 'SkeletonApp',
      name: 'accounts',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  for (const object of render(everything, { ownerReference: true, serviceMonitorAvailable: true })) {
    t.deepEqual(object.metadata.ownerReferences, expected, object.kind);
  }
  for (const object of render(everything)) t.is(object.metadata.ownerReferences, undefined);
  const spec = skeletonAppSpecSchema.parse(minimal);
  t.throws(
    () => renderSkeletonApp({ name: 'a', namespace: 'b', spec }, { ...baseContext, ownerReference: true }),
    {
      message: /uid/,
    },
  );
});

test('a long app name still gives a migration Job name that fits a label', (t) => {
  const spec = skeletonAppSpecSchema.parse({
    image: 'registry.example.com/api:1.0.0',
    database: { secretRef: { name: 'db' } },
  });
  const name = migrationJobName('a'.repeat(60), spec);
  t.true(name.length <= 63, name);
  t.regex(name, /^a+-migrate-[0-9a-f]{10}$/);
});

test('a new image changes only the Deployment and the migration Job: the version label is theirs alone', (t) => {
  const before = render();
  const next = 'registry.example.com/skeleton-api:1.4.3';
  const after = render({ image: next }, { approvedImage: next });
  const byName = (objects: KubernetesObject[]) =>
    new Map(objects.map((object) => [`${object.kind}/${object.metadata.name}`, JSON.stringify(object)]));
  const old = byName(before);
  const changed = [...byName(after)]
    .filter(([id, text]) => old.get(id) !== text)
    .map(([id]) => id.replace(/-migrate-[0-9a-f]+$/, '-migrate-…'));
  t.deepEqual(changed.sort(), ['Deployment/accounts', 'Job/accounts-migrate-…']);
  for (const object of after) {
    const versioned = 'app.kubernetes.io/version' in (object.metadata.labels ?? {});
    t.is(versioned, object.kind === 'Deployment' || object.kind === 'Job', `${object.kind} version label`);
  }
});

test('metrics are served on a port of their own, which only the monitoring namespace may reach', (t) => {
  const objects = render(
    { monitoring: { serviceMonitor: { enabled: true } } },
    { serviceMonitorAvailable: true },
  );
  const container = apiContainer(objects);
  t.deepEqual(
    container.ports?.map((port) => `${port.name}:${port.containerPort}`),
    ['http:3000', 'metrics:9090'],
  );
  t.like(
    container.env?.find((variable) => variable.name === 'METRICS_PORT'),
    { value: '9090' },
  );
  const ports = (name: string) =>
    (
      objects.find((object) => object.kind === 'Service' && object.metadata.name === name) as unknown as {
        spec: { ports: { name: string; targetPort: string }[]; clusterIP?: string };
      }
    ).spec;
  t.deepEqual(
    ports('accounts').ports.map((port) => `${port.name}→${port.targetPort}`),
    ['http→http'],
    'the Service the Ingress routes to has no metrics port',
  );
  t.deepEqual(
    ports('accounts-metrics').ports.map((port) => `${port.name}→${port.targetPort}`),
    ['metrics→metrics'],
  );
  t.is(ports('accounts-metrics').clusterIP, 'None', 'scraped per pod, never through a virtual IP');
  const monitor = objects.find((object) => object.kind === 'ServiceMonitor') as unknown as {
    spec: { endpoints: { port: string }[] };
  };
  t.is(monitor.spec.endpoints[0]?.port, 'metrics');
  const policy = objects.find(
    (object) => object.metadata.name === 'accounts' && object.kind === 'NetworkPolicy',
  ) as unknown as {
    spec: { ingress: { from: unknown[]; ports: { port: string }[] }[] };
  };
  t.deepEqual(
    policy.spec.ingress.map((rule) => rule.ports.map((port) => port.port).join()),
    ['http', 'metrics'],
    'the metrics port is open to the monitoring namespace only',
  );
});

test('behind an Ingress the API trusts one proxy hop for the client address, unless config says otherwise', (t) => {
  const hops = (overrides: Partial<SkeletonAppSpecInput>) =>
    apiContainer(render(overrides)).env?.find((variable) => variable.name === 'TRUST_PROXY_HOPS')?.value;
  t.is(hops({}), undefined, 'no Ingress: requests come straight from clients in the cluster');
  t.is(hops({ ingress: { host: 'accounts.example.com' } }), '1');
  t.is(hops({ ingress: { host: 'accounts.example.com' }, config: { TRUST_PROXY_HOPS: '2' } }), undefined);
});

test("with an Ingress, the NetworkPolicy lets the ingress controller's namespace reach the HTTP port", (t) => {
  const rules = (overrides: Partial<SkeletonAppSpecInput>) =>
    (
      find(render(overrides), 'NetworkPolicy') as unknown as {
        spec: {
          ingress: { from: { namespaceSelector?: { matchLabels: object } }[]; ports: { port: string }[] }[];
        };
      }
    ).spec.ingress;
  t.is(rules({}).length, 1, 'no Ingress: only the configured peers');
  const exposed = rules({ ingress: { host: 'accounts.example.com' } });
  t.deepEqual(exposed[1], {
    from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
    ports: [{ port: 'http', protocol: 'TCP' }],
  });
  const traefik = rules({
    ingress: {
      host: 'accounts.example.com',
      controllerNamespaceSelector: { 'kubernetes.io/metadata.name': 'traefik' },
    },
  });
  t.deepEqual(traefik[1]?.from, [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } },
  ]);
});
