import { z } from 'zod';
import { boundedMap } from './bounded-map.js';

/**
 * The SkeletonApp spec and status, defined once: the operator parses with these schemas, the CRD's
 * OpenAPI schema is generated from them, and `render` reads the parsed (defaulted) result.
 */

/** repository[:tag] or repository@sha256:digest, where a tag or a digest is required. */
const IMAGE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
/** A Go duration as Kubernetes users write it: 720h, 15m, 30s, 1h30m. */
const DURATION = /^([0-9]+(h|m|s))+$/;
/** A Kubernetes resource quantity: 250m, 0.5, 128Mi, 1Gi. */
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
/** An RFC 1123 DNS label, as Secret and ConfigMap names must be. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*[/])?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** What a Secret's key may be: Kubernetes refuses any other key in a secretKeyRef. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Bounds on every string, list and map, so the CRD refuses what the children could not carry and
 * kube-apiserver can bound the cost of the CEL rules.
 */
const MAX = {
  image: 512,
  /** A duration, a quantity or a replica count: a handful of digits and a unit. */
  shortText: 32,
  dnsName: 253,
  /** A label key: a DNS-subdomain prefix (253), '/' and a name (63). */
  labelKey: 317,
  labelValue: 63,
  /** An IPv6 CIDR: eight groups of four hex digits, seven colons, '/128'. */
  cidr: 43,
  commandArgument: 1024,
  commandArguments: 32,
  configEntries: 128,
  configKey: 128,
  configValue: 4096,
  labels: 32,
  networkPeers: 32,
  /** A condition's reason, which the phase repeats. */
  reason: 1024,
  /** A JWK thumbprint (43 characters of base64url), with room. */
  keyId: 128,
  /** An RFC 3339 time. */
  timestamp: 64,
} as const;

const UNIT_SECONDS = { h: 3600, m: 60, s: 1 } as const;

/** Seconds in a duration the DURATION pattern accepted. */
export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(h|m|s)/g)) {
    total += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  }
  return total;
}

const duration = (fallback: string, description: string) =>
  z
    .string()
    .max(MAX.shortText)
    .regex(DURATION, 'must be a duration such as 720h, 15m or 30s')
    .default(fallback)
    .describe(`${description} A duration such as 720h, 15m, 30s or 1h30m. Default ${fallback}.`);
const quantityText = z
  .string()
  .max(MAX.shortText)
  .regex(QUANTITY, 'must be a Kubernetes quantity such as 250m or 256Mi');
const quantity = (fallback: string, description: string) =>
  quantityText
    .default(fallback)
    .describe(`${description} A quantity such as 250m or 256Mi. Default ${fallback}.`);

const secretKeyRef = (what: string) =>
  z
    .strictObject({
      name: z
        .string()
        .max(MAX.dnsName)
        .regex(DNS_NAME, 'must be a Secret name')
        .describe("The Secret's name, in the app's namespace."),
      key: z
        .string()
        .min(1)
        .max(MAX.dnsName)
        .regex(SECRET_KEY, "must be a Secret key: letters, digits, '-', '_' and '.'")
        .default('url')
        .describe(`The key in the Secret whose value is ${what}. Default url.`),
    })
    .describe(`The Secret holding ${what}; the operator never reads it, the pods do.`);

const labelSelector = boundedMap(
  {
    maxLength: MAX.labelKey,
    pattern: LABEL_KEY,
    message: `label keys must be an optional DNS-subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.' (${MAX.labelKey} characters in all)`,
  },
  z.string().max(MAX.labelValue).regex(LABEL_VALUE),
  MAX.labels,
);

export const specSchema = z
  .strictObject({
    image: z
      .string()
      .max(MAX.image)
      .regex(IMAGE, 'must be an image reference with a tag or a sha256 digest')
      .describe(
        'The API image, with a tag or a @sha256: digest. A change is a release: the migration Job runs with the new image first, and the Deployment moves to it only once the Job succeeded.',
      ),
    replicas: z
      .strictObject({
        min: z.int().min(1).max(100).default(2).describe('The fewest pods the autoscaler keeps. Default 2.'),
        max: z
          .int()
          .min(1)
          .max(100)
          .default(10)
          .describe('The most pods the autoscaler makes; at least min. Default 10.'),
      })
      .default({ min: 2, max: 10 })
      .describe("The HorizontalPodAutoscaler's bounds on the number of API pods."),
    autoscaling: z
      .strictObject({
        targetCPUUtilizationPercentage: z
          .int()
          .min(1)
          .max(100)
          .default(70)
          .describe(
            "The pods' average CPU use, as a percentage of their request, the autoscaler aims at. Default 70.",
          ),
        targetMemoryUtilizationPercentage: z
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe(
            "If set, the autoscaler also aims at this average memory use, as a percentage of the pods' request.",
          ),
      })
      .default({ targetCPUUtilizationPercentage: 70 })
      .describe('What the HorizontalPodAutoscaler scales the API on.'),
    resources: z
      .strictObject({
        requests: z
          .strictObject({
            cpu: quantity('100m', 'CPU reserved for each API container.'),
            memory: quantity('192Mi', 'Memory reserved for each API container.'),
            ephemeralStorage: quantity('64Mi', 'Local disk reserved for each API container.'),
          })
          .default({ cpu: '100m', memory: '192Mi', ephemeralStorage: '64Mi' })
          .describe('What the scheduler reserves for each API container.'),
        limits: z
          .strictObject({
            cpu: quantityText
              .optional()
              .describe('The most CPU an API container may use, such as 500m; unset, it is not limited.'),
            memory: quantity('384Mi', 'The most memory an API container may use before it is killed.'),
            ephemeralStorage: quantity(
              '256Mi',
              'The most local disk an API container may use before it is evicted.',
            ),
          })
          .default({ memory: '384Mi', ephemeralStorage: '256Mi' })
          .describe('The most each API container may use.'),
      })
      .default({
        requests: { cpu: '100m', memory: '192Mi', ephemeralStorage: '64Mi' },
        limits: { memory: '384Mi', ephemeralStorage: '256Mi' },
      })
      .describe("The API containers' resource requests and limits."),
    config: boundedMap(
      {
        maxLength: MAX.configKey,
        pattern: ENV_NAME,
        message: `config keys must be environment variable names of at most ${MAX.configKey} characters`,
      },
      z.string().max(MAX.configValue),
      MAX.configEntries,
    )
      .default({})
      .describe(
        'Plain settings for the API (never secrets), as environment variables from a ConfigMap: keys are variable names, such as LOG_LEVEL. A change rolls the pods. Variables the operator sets itself (NODE_ENV, PORT, DATABASE_URL, REDIS_URL, JWT_KEYS_FILE, ...) win over these.',
      ),
    database: z
      .strictObject({ secretRef: secretKeyRef('the PostgreSQL URL') })
      .describe('The PostgreSQL database the API and its migrations use.'),
    redis: z
      .strictObject({ secretRef: secretKeyRef('the Redis URL') })
      .optional()
      .describe('The Redis the API shares its rate limits in; unset, each pod limits on its own.'),
    migrations: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Whether a release runs the migration Job first; false rolls new images out at once. Default true.',
          ),
        command: z
          .array(z.string().min(1).max(MAX.commandArgument))
          .min(1)
          .max(MAX.commandArguments)
          .default(['node', 'dist/cli/migrate.js', 'up'])
          .describe(
            "The migration Job's command, run in the new image. Default node dist/cli/migrate.js up.",
          ),
        backoffLimit: z
          .int()
          .min(0)
          .max(10)
          .default(2)
          .describe('How often a failed migration is retried before the release stops. Default 2.'),
        activeDeadlineSeconds: z
          .int()
          .min(30)
          .max(86_400)
          .default(600)
          .describe('How long the migration may run, in seconds, before it fails. Default 600.'),
      })
      .default({
        enabled: true,
        command: ['node', 'dist/cli/migrate.js', 'up'],
        backoffLimit: 2,
        activeDeadlineSeconds: 600,
      })
      .describe(
        'The schema migration that gates a release: the Deployment moves to a new image only after it succeeded.',
      ),
    jwt: z
      .strictObject({
        rotationInterval: duration('720h', 'How often the operator introduces a new signing key.'),
        accessTokenTTL: duration('15m', 'How long an access token the API issues stays valid.'),
        previousKeyRetention: duration(
          '1h',
          'How long a retired signing key still verifies tokens; at least accessTokenTTL.',
        ),
      })
      .default({ rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '1h' })
      .describe('The JWT signing keys the operator keeps in the <name>-jwt-keys Secret, and their rotation.'),
    monitoring: z
      .strictObject({
        serviceMonitor: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe('Whether to make a ServiceMonitor (needs the Prometheus Operator). Default false.'),
            interval: duration('30s', 'How often Prometheus scrapes the API.'),
            labels: labelSelector
              .default({})
              .describe("Labels on the ServiceMonitor, for a Prometheus's serviceMonitorSelector."),
          })
          .default({ enabled: false, interval: '30s', labels: {} })
          .describe("A Prometheus Operator ServiceMonitor for the API's /metrics."),
      })
      .default({ serviceMonitor: { enabled: false, interval: '30s', labels: {} } })
      .describe('How Prometheus finds the API.'),
    podDisruptionBudget: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether to make a PodDisruptionBudget. Default true.'),
        maxUnavailable: z
          .int()
          .min(1)
          .default(1)
          .describe(
            'How many API pods a voluntary disruption, such as a node drain, may take at once. Default 1.',
          ),
      })
      .default({ enabled: true, maxUnavailable: 1 })
      .describe('The PodDisruptionBudget that keeps the API serving while nodes are drained.'),
    networkPolicy: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether to make the NetworkPolicies. Default true.'),
        ingressFrom: z
          .array(
            z.strictObject({
              namespaceSelector: labelSelector
                .optional()
                .describe(
                  "Namespaces whose pods may connect, by their labels; unset, the app's own namespace.",
                ),
              podSelector: labelSelector
                .optional()
                .describe('Pods that may connect, by their labels; unset, every pod of those namespaces.'),
            }),
          )
          .max(MAX.networkPeers)
          .default([])
          .describe(
            "Who may reach the API's HTTP port (Prometheus from the monitoring namespace may too, when there is a ServiceMonitor); empty, every pod of the app's own namespace.",
          ),
        egressTo: z
          .array(
            z
              .string()
              .max(MAX.cidr)
              .regex(/^[0-9a-f.:]+\/[0-9]{1,3}$/, 'must be a CIDR'),
          )
          .max(MAX.networkPeers)
          .default([])
          .describe(
            'Where the database and Redis live, as CIDRs such as 10.0.0.0/16; empty, anywhere on their ports.',
          ),
        databasePort: z
          .int()
          .min(1)
          .max(65_535)
          .default(5432)
          .describe("The database's port the pods may connect to. Default 5432."),
        redisPort: z
          .int()
          .min(1)
          .max(65_535)
          .default(6379)
          .describe("Redis's port the pods may connect to. Default 6379."),
      })
      .default({ enabled: true, ingressFrom: [], egressTo: [], databasePort: 5432, redisPort: 6379 })
      .describe(
        'NetworkPolicies that let only the named clients in, and the pods out only to DNS, the database and Redis.',
      ),
    service: z
      .strictObject({
        port: z.int().min(1).max(65_535).default(80).describe("The Service's port. Default 80."),
      })
      .default({ port: 80 })
      .describe('The Service in front of the API pods, named after the app.'),
    ingress: z
      .strictObject({
        host: z
          .string()
          .max(MAX.dnsName)
          .regex(DNS_NAME, 'must be a host name')
          .describe('The host name the Ingress routes to the API, such as accounts.example.com.'),
        tlsSecretName: z
          .string()
          .max(MAX.dnsName)
          .regex(DNS_NAME)
          .optional()
          .describe(
            "A Secret holding the host's TLS certificate and key; unset, the Ingress serves plain HTTP.",
          ),
        className: z
          .string()
          .max(MAX.dnsName)
          .regex(DNS_NAME, 'must be an IngressClass name')
          .optional()
          .describe("The IngressClass to use; unset, the cluster's default."),
        controllerNamespaceSelector: labelSelector
          .default({ 'kubernetes.io/metadata.name': 'ingress-nginx' })
          .describe(
            "The namespace of the ingress controller, by its labels: the NetworkPolicy lets its pods reach the API's HTTP port. Default: the namespace named ingress-nginx.",
          ),
      })
      .optional()
      .describe('An Ingress for the API; unset, the API is reachable inside the cluster only.'),
  })
  .describe(
    'What the SkeletonApp runs: the image, how it scales, what it connects to and how it is released.',
  );

export type SkeletonAppSpecInput = z.input<typeof specSchema>;
export type SkeletonAppSpec = z.output<typeof specSchema>;

/**
 * Rules that relate two fields, written once: zod checks them through `holds`, and the CRD carries
 * `cel` as an x-kubernetes-validations rule on the object at `path`, so kube-apiserver refuses the
 * same specs the operator would.
 */
export interface CrossFieldRule {
  path: readonly string[];
  cel: string;
  message: string;
  holds(spec: SkeletonAppSpec): boolean;
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    path: ['replicas'],
    cel: 'self.min <= self.max',
    message: 'replicas.min must not exceed replicas.max',
    holds: (spec) => spec.replicas.min <= spec.replicas.max,
  },
  {
    path: ['jwt'],
    cel: 'duration(self.previousKeyRetention) >= duration(self.accessTokenTTL)',
    message:
      'jwt.previousKeyRetention must be at least jwt.accessTokenTTL, or rotation would reject live tokens',
    holds: (spec) =>
      durationSeconds(spec.jwt.previousKeyRetention) >= durationSeconds(spec.jwt.accessTokenTTL),
  },
];

export const skeletonAppSpecSchema = specSchema.superRefine((spec, ctx) => {
  for (const rule of CROSS_FIELD_RULES) {
    if (!rule.holds(spec)) ctx.addIssue({ code: 'custom', path: [...rule.path], message: rule.message });
  }
});

export const CONDITION_TYPES = [
  'Ready',
  'Progressing',
  'Degraded',
  'MigrationSucceeded',
  'KeysRotated',
  'MonitoringAvailable',
] as const;

const condition = z
  .strictObject({
    type: z.enum(CONDITION_TYPES).describe('Which aspect of the app the condition reports.'),
    status: z
      .enum(['True', 'False', 'Unknown'])
      .describe('Whether the condition holds: True, False or Unknown.'),
    reason: z
      .string()
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .max(MAX.reason)
      .describe('Why the condition is as it is, in one CamelCase word such as MigrationFailed.'),
    message: z.string().max(32_768).describe('What happened and what to do about it, for a person.'),
    lastTransitionTime: z.iso
      .datetime()
      .max(MAX.timestamp)
      .describe('When status last changed (a new reason or message alone does not move it).'),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('The metadata.generation of the spec the condition was computed from.'),
  })
  .describe('One aspect of the app, as the operator last saw it.');

export const skeletonAppStatusSchema = z
  .strictObject({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe(
        'The metadata.generation of the spec this status describes; behind it, the operator is still catching up.',
      ),
    conditions: z
      .array(condition)
      .max(CONDITION_TYPES.length)
      .optional()
      .describe(
        'Ready, Progressing, Degraded, MigrationSucceeded, KeysRotated and MonitoringAvailable, at most one of each type.',
      ),
    desiredImage: z
      .string()
      .max(MAX.image)
      .optional()
      .describe('The image the spec asks for; it runs once its migration has succeeded.'),
    currentImage: z
      .string()
      .max(MAX.image)
      .optional()
      .describe(
        'The image the Deployment runs once its rollout has finished; during a rollout, the one still serving.',
      ),
    migratedImage: z
      .string()
      .max(MAX.image)
      .optional()
      .describe('The last image whose migration completed: the only image the Deployment is given.'),
    failedMigration: z
      .strictObject({
        job: z.string().max(MAX.dnsName).describe('The migration Job that failed.'),
        image: z.string().max(MAX.image).describe('The image it migrated for.'),
        message: z.string().max(32_768).describe("Why it failed, from the Job's Failed condition."),
      })
      .optional()
      .describe(
        'The migration that last failed, remembered after its Job is removed so it is not run again; a new spec retries.',
      ),
    readyReplicas: z.int().min(0).optional().describe('How many API pods are ready.'),
    ready: z
      .string()
      .max(MAX.shortText)
      .optional()
      .describe('Ready pods out of desired, such as 3/3: the READY column.'),
    phase: z
      .string()
      .max(MAX.reason)
      .optional()
      .describe("The Ready condition's reason, such as Available or InvalidSpec: the STATUS column."),
    currentKeyId: z
      .string()
      .max(MAX.keyId)
      .optional()
      .describe('The kid of the key the API signs tokens with now.'),
    lastRotationTime: z.iso
      .datetime()
      .max(MAX.timestamp)
      .optional()
      .describe('When the current signing key became the one the API signs with.'),
  })
  .describe('What the operator last saw of the app; written by the operator only.');

export type SkeletonAppStatus = z.infer<typeof skeletonAppStatusSchema>;
