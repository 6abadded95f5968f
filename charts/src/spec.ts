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

const duration = (fallback: string) =>
  z
    .string()
    .max(MAX.shortText)
    .regex(DURATION, 'must be a duration such as 720h, 15m or 30s')
    .default(fallback);
const quantityText = z
  .string()
  .max(MAX.shortText)
  .regex(QUANTITY, 'must be a Kubernetes quantity such as 250m or 256Mi');
const quantity = (fallback: string) => quantityText.default(fallback);

const secretKeyRef = z.strictObject({
  name: z.string().max(MAX.dnsName).regex(DNS_NAME, 'must be a Secret name'),
  key: z
    .string()
    .min(1)
    .max(MAX.dnsName)
    .regex(SECRET_KEY, "must be a Secret key: letters, digits, '-', '_' and '.'")
    .default('url'),
});

const labelSelector = boundedMap(
  {
    maxLength: MAX.labelKey,
    pattern: LABEL_KEY,
    message: `label keys must be an optional DNS-subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.' (${MAX.labelKey} characters in all)`,
  },
  z.string().max(MAX.labelValue).regex(LABEL_VALUE),
  MAX.labels,
);

export const specSchema = z.strictObject({
  image: z.string().max(MAX.image).regex(IMAGE, 'must be an image reference with a tag or a sha256 digest'),
  replicas: z
    .strictObject({ min: z.int().min(1).max(100).default(2), max: z.int().min(1).max(100).default(10) })
    .default({ min: 2, max: 10 }),
  autoscaling: z
    .strictObject({
      targetCPUUtilizationPercentage: z.int().min(1).max(100).default(70),
      targetMemoryUtilizationPercentage: z.int().min(1).max(100).optional(),
    })
    .default({ targetCPUUtilizationPercentage: 70 }),
  resources: z
    .strictObject({
      requests: z
        .strictObject({
          cpu: quantity('100m'),
          memory: quantity('192Mi'),
          ephemeralStorage: quantity('64Mi'),
        })
        .default({ cpu: '100m', memory: '192Mi', ephemeralStorage: '64Mi' }),
      limits: z
        .strictObject({
          cpu: quantityText.optional(),
          memory: quantity('384Mi'),
          ephemeralStorage: quantity('256Mi'),
        })
        .default({ memory: '384Mi', ephemeralStorage: '256Mi' }),
    })
    .default({
      requests: { cpu: '100m', memory: '192Mi', ephemeralStorage: '64Mi' },
      limits: { memory: '384Mi', ephemeralStorage: '256Mi' },
    }),
  /** Plain settings for the API, as environment variables from a ConfigMap (never secrets). */
  config: boundedMap(
    {
      maxLength: MAX.configKey,
      pattern: ENV_NAME,
      message: `config keys must be environment variable names of at most ${MAX.configKey} characters`,
    },
    z.string().max(MAX.configValue),
    MAX.configEntries,
  ).default({}),
  database: z.strictObject({ secretRef: secretKeyRef }),
  redis: z.strictObject({ secretRef: secretKeyRef }).optional(),
  migrations: z
    .strictObject({
      enabled: z.boolean().default(true),
      command: z
        .array(z.string().min(1).max(MAX.commandArgument))
        .min(1)
        .max(MAX.commandArguments)
        .default(['node', 'dist/cli/migrate.js', 'up']),
      backoffLimit: z.int().min(0).max(10).default(2),
      activeDeadlineSeconds: z.int().min(30).max(86_400).default(600),
    })
    .default({
      enabled: true,
      command: ['node', 'dist/cli/migrate.js', 'up'],
      backoffLimit: 2,
      activeDeadlineSeconds: 600,
    }),
  jwt: z
    .strictObject({
      rotationInterval: duration('720h'),
      accessTokenTTL: duration('15m'),
      /** How long a retired signing key still verifies: at least the access-token lifetime. */
      previousKeyRetention: duration('1h'),
    })
    .default({ rotationInterval: '720h', accessTokenTTL: '15m', previousKeyRetention: '1h' }),
  monitoring: z
    .strictObject({
      serviceMonitor: z
        .strictObject({
          enabled: z.boolean().default(false),
          interval: duration('30s'),
          labels: labelSelector.default({}),
        })
        .default({ enabled: false, interval: '30s', labels: {} }),
    })
    .default({ serviceMonitor: { enabled: false, interval: '30s', labels: {} } }),
  podDisruptionBudget: z
    .strictObject({ enabled: z.boolean().default(true), maxUnavailable: z.int().min(1).default(1) })
    .default({ enabled: true, maxUnavailable: 1 }),
  networkPolicy: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Who may reach the app's HTTP port: pods matching these labels in namespaces matching these. */
      ingressFrom: z
        .array(
          z.strictObject({
            namespaceSelector: labelSelector.optional(),
            podSelector: labelSelector.optional(),
          }),
        )
        .max(MAX.networkPeers)
        .default([]),
      /** Where the database (and Redis) live, as CIDRs; empty means anywhere on those ports. */
      egressTo: z
        .array(
          z
            .string()
            .max(MAX.cidr)
            .regex(/^[0-9a-f.:]+\/[0-9]{1,3}$/, 'must be a CIDR'),
        )
        .max(MAX.networkPeers)
        .default([]),
      databasePort: z.int().min(1).max(65_535).default(5432),
      redisPort: z.int().min(1).max(65_535).default(6379),
    })
    .default({ enabled: true, ingressFrom: [], egressTo: [], databasePort: 5432, redisPort: 6379 }),
  service: z.strictObject({ port: z.int().min(1).max(65_535).default(80) }).default({ port: 80 }),
  ingress: z
    .strictObject({
      host: z.string().max(MAX.dnsName).regex(DNS_NAME, 'must be a host name'),
      tlsSecretName: z.string().max(MAX.dnsName).regex(DNS_NAME).optional(),
      className: z.string().max(MAX.dnsName).regex(DNS_NAME, 'must be an IngressClass name').optional(),
    })
    .optional(),
});

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

const condition = z.strictObject({
  type: z.enum(CONDITION_TYPES),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z
    .string()
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .max(MAX.reason),
  message: z.string().max(32_768),
  lastTransitionTime: z.iso.datetime().max(MAX.timestamp),
  observedGeneration: z.int().min(0).optional(),
});

export const skeletonAppStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(condition).max(CONDITION_TYPES.length).optional(),
  desiredImage: z.string().max(MAX.image).optional(),
  currentImage: z.string().max(MAX.image).optional(),
  readyReplicas: z.int().min(0).optional(),
  /** "3/3", for the READY printer column. */
  ready: z.string().max(MAX.shortText).optional(),
  /** The Ready condition's reason, for the STATUS printer column. */
  phase: z.string().max(MAX.reason).optional(),
  currentKeyId: z.string().max(MAX.keyId).optional(),
  lastRotationTime: z.iso.datetime().max(MAX.timestamp).optional(),
});

export type SkeletonAppStatus = z.infer<typeof skeletonAppStatusSchema>;
