import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { configHash, hasConfig } from './config.js';
import { imagePullPolicy } from './image.js';
import { commonLabels, selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';
import {
  containerSecurityContext,
  podSecurityContext,
  resources,
  scratchMount,
  scratchVolume,
  secretEnv,
} from './pod.js';

export const HTTP_PORT = 3000;
/** `/metrics` listens here, off the port the Service and the Ingress send clients to. */
export const METRICS_PORT = 9090;
export const KEYS_DIR = '/var/run/skeleton/keys';
const KEYS_VOLUME = 'jwt-keys';
const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

/** The token issuer when spec.config names none: the app's in-cluster address, unique per app. */
function defaultIssuer(app: { name: string; namespace: string }): string {
  return `https://${app.name}.${app.namespace}.svc`;
}

/** Settings the operator owns. `env` wins over `envFrom`, so spec.config cannot override them. */
function env(input: RenderInput) {
  const { app } = input;
  const { spec } = app;
  return [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'PORT', value: String(HTTP_PORT) },
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'METRICS_PORT', value: String(METRICS_PORT) },
    // Behind an Ingress every request comes through its controller: the client is one hop back.
    ...(spec.ingress && !('TRUST_PROXY_HOPS' in spec.config)
      ? [{ name: 'TRUST_PROXY_HOPS', value: '1' }]
      : []),
    secretEnv('DATABASE_URL', spec.database.secretRef),
    ...(spec.redis
      ? [
          secretEnv('REDIS_URL', spec.redis.secretRef),
          // While Redis is unreachable each pod counts alone: as strictly as the most pods there may be.
          { name: 'RATE_LIMIT_REPLICAS', value: String(rateLimitReplicas(spec.replicas.max)) },
        ]
      : [
          // Pods learn of each other's logouts through Redis; without it a remembered session
          // could outlive its logout on another pod, so each asks PostgreSQL every time.
          ...(spec.replicas.max > 1 ? [{ name: 'PRINCIPAL_CACHE_TTL', value: '0s' }] : []),
        ]),
    // Namespaced keys, so apps sharing one Redis never read each other's sessions or rate limits.
    { name: 'REDIS_KEY_PREFIX', value: `${app.namespace}:${app.name}:` },
    { name: 'JWT_KEYS_FILE', value: `${KEYS_DIR}/keys.json` },
    { name: 'ACCESS_TOKEN_TTL', value: spec.jwt.accessTokenTTL },
    // The API refuses to start in production without an issuer; spec.config may name its own.
    ...('JWT_ISSUER' in spec.config ? [] : [{ name: 'JWT_ISSUER', value: defaultIssuer(app) }]),
    // The migration Job migrates before the operator approves the image; pods racing to do it would not.
    { name: 'MIGRATE_ON_START', value: 'false' },
  ];
}

function httpGet(path: string) {
  return { httpGet: { path, port: 'http', scheme: 'HTTP' } };
}

function container(input: RenderInput) {
  const image = input.context.approvedImage;
  return {
    name: 'api',
    image,
    imagePullPolicy: imagePullPolicy(image),
    ports: [
      { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
    ],
    env: env(input),
    ...(hasConfig(input) ? { envFrom: [{ configMapRef: { name: names(input.app.name).configMap } }] } : {}),
    // Ready means "send me traffic" (dependencies reachable); live means "the process is not stuck".
    // Different paths, so a database outage takes pods out of rotation without restarting them all.
    readinessProbe: { ...httpGet('/health/ready'), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { ...httpGet('/health/live'), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    // Up to 30 × 2 s = 60 s to boot before liveness starts counting.
    startupProbe: { ...httpGet('/health/live'), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
    resources: resources(input.app.spec.resources),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      // The directory, not a subPath: only a directory mount sees Kubernetes' atomic symlink swap when
      // the operator rotates the key set, so the API picks up new keys without a restart.
      { name: KEYS_VOLUME, mountPath: KEYS_DIR, readOnly: true },
      scratchMount(),
    ],
  };
}

function podSpec(input: RenderInput) {
  const selector = selectorLabels(input.app.name);
  return {
    serviceAccountName: names(input.app.name).serviceAccount,
    automountServiceAccountToken: false,
    // Service links would put every Service of the namespace into the environment.
    enableServiceLinks: false,
    // The API drains for ~5 s after SIGTERM, then gives requests 20 s to finish; 45 s leaves headroom.
    terminationGracePeriodSeconds: 45,
    securityContext: podSecurityContext(),
    containers: [container(input)],
    volumes: [
      {
        name: KEYS_VOLUME,
        // 0440: readable by the fsGroup the API runs in, by nobody else.
        secret: {
          secretName: input.context.keySetSecretName,
          items: [{ key: 'keys.json', path: 'keys.json' }],
          defaultMode: 0o440,
        },
      },
      scratchVolume(),
    ],
    // Spread over zones and nodes, preferably: a strict rule would leave pods Pending on small clusters.
    topologySpreadConstraints: [ZONE, HOSTNAME].map((topologyKey) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selector },
      // Count only the current ReplicaSet's pods, so a rollout spreads the new pods too.
      matchLabelKeys: ['pod-template-hash'],
    })),
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { topologyKey: HOSTNAME, labelSelector: { matchLabels: selector } },
          },
        ],
      },
    },
  };
}

/**
 * The API's Deployment. No `replicas`: the HorizontalPodAutoscaler owns the count, and a replicas field
 * here would reset it on every apply. The operator creates it at spec.replicas.min (see its
 * INITIAL_REPLICAS_MANAGER), so it never starts at the API server's default of 1.
 */
/**
 * RATE_LIMIT_REPLICAS: the most pods there may be, rounded up to a power of two. A change of the
 * pods' environment rolls every pod, and raising replicas.max is what one does under load; rounded,
 * most such changes leave the pods alone, at the price of a fallback at most twice as strict.
 */
export const rateLimitReplicas = (maxReplicas: number): number => 2 ** Math.ceil(Math.log2(maxReplicas));

export function addDeployment(scope: Construct, input: RenderInput): ApiObject {
  const { app, context } = input;
  const annotations = hasConfig(input)
    ? { 'platform.skeleton.dev/config-hash': configHash(input) }
    : undefined;
  return new ApiObject(scope, 'deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(input, names(app.name).deployment, { image: context.approvedImage }),
    spec: {
      selector: { matchLabels: selectorLabels(app.name) },
      revisionHistoryLimit: 5,
      // Never below the current capacity during a rollout; a quarter more pods at a time.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: {
          labels: commonLabels(app.name, context.approvedImage),
          ...(annotations ? { annotations } : {}),
        },
        spec: podSpec(input),
      },
    },
  });
}
