import { z } from 'zod';

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
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

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
  z.string().regex(DURATION, 'must be a duration such as 720h, 15m or 30s').default(fallback);
const quantity = (fallback: string) =>
  z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as 250m or 256Mi').default(fallback);

const secretKeyRef = z.strictObject({
  name: z.string().max(253).regex(DNS_NAME, 'must be a Secret name'),
  key: z.string().min(1).max(253).default('url'),
});

const labelSelector = z.record(z.string().max(317), z.string().max(63).regex(LABEL_VALUE));

export const specSchema = z.strictObject({
  image: z.string().max(512).regex(IMAGE, 'must be an image reference with a tag or a sha256 digest'),
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
          cpu: z.string().regex(QUANTITY).optional(),
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
  config: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name').max(128), z.string().max(4096))
    .default({}),
  database: z.strictObject({ secretRef: secretKeyRef }),
  redis: z.strictObject({ secretRef: secretKeyRef }).optional(),
  migrations: z
    .strictObject({
      enabled: z.boolean().default(true),
      command: z.array(z.string().min(1)).min(1).default(['node', 'dist/cli/migrate.js', 'up']),
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
        .default([]),
      /** Where the database (and Redis) live, as CIDRs; empty means anywhere on those ports. */
      egressTo: z.array(z.string().regex(/^[0-9a-f.:]+\/[0-9]{1,3}$/, 'must be a CIDR')).default([]),
      databasePort: z.int().min(1).max(65_535).default(5432),
      redisPort: z.int().min(1).max(65_535).default(6379),
    })
    .default({ enabled: true, ingressFrom: [], egressTo: [], databasePort: 5432, redisPort: 6379 }),
  service: z.strictObject({ port: z.int().min(1).max(65_535).default(80) }).default({ port: 80 }),
  ingress: z
    .strictObject({
      host: z.string().max(253).regex(DNS_NAME, 'must be a host name'),
      tlsSecretName: z.string().max(253).regex(DNS_NAME).optional(),
      className: z.string().max(253).optional(),
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
  {
    // The CRD schema cannot check map keys; zod can, and CEL can.
    path: ['config'],
    cel: "self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$'))",
    message: 'config keys must be environment variable names',
    holds: (spec) => Object.keys(spec.config).every((key) => ENV_NAME.test(key)),
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
    .max(1024),
  message: z.string().max(32_768),
  lastTransitionTime: z.iso.datetime(),
  observedGeneration: z.int().min(0).optional(),
});

export const skeletonAppStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(condition).optional(),
  desiredImage: z.string().optional(),
  /** The image the Deployment runs once its rollout has finished. */
  currentImage: z.string().optional(),
  /** The last image whose migration completed: the only image the Deployment may run. */
  migratedImage: z.string().optional(),
  /** The migration Job that last failed, remembered after its TTL removes it so it is not run again. */
  failedMigration: z
    .strictObject({ job: z.string(), image: z.string(), message: z.string().max(32_768) })
    .optional(),
  readyReplicas: z.int().min(0).optional(),
  /** "3/3", for the READY printer column. */
  ready: z.string().optional(),
  /** The Ready condition's reason, for the STATUS printer column. */
  phase: z.string().optional(),
  currentKeyId: z.string().optional(),
  lastRotationTime: z.iso.datetime().optional(),
});

export type SkeletonAppStatus = z.infer<typeof skeletonAppStatusSchema>;
