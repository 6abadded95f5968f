import { OPERATOR_SHUTDOWN } from '@skeleton/charts';
import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const environmentSchema = z
  .object({
    /** Empty: every namespace (needs the ClusterRole); else a comma-separated list. */
    WATCH_NAMESPACES: z
      .string()
      .default('')
      .transform((list, ctx) => {
        const namespaces = list
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean);
        for (const name of namespaces) {
          if (!NAMESPACE.test(name) || name.length > 63) {
            ctx.addIssue({ code: 'custom', message: `"${name}" is not a namespace name` });
          }
        }
        return namespaces;
      }),
    LEADER_ELECTION: z.enum(['true', 'false']).default('true'),
    LEASE_NAME: z.string().trim().min(1).default('skeleton-operator'),
    /** The operator's own namespace, where its Lease lives (the Downward API gives it in a pod). */
    POD_NAMESPACE: z.string().trim().regex(NAMESPACE).default('skeleton-system'),
    /** Unique per replica; the pod name in a cluster. */
    POD_NAME: z.string().trim().min(1).optional(),
    LEASE_DURATION_SECONDS: seconds(15),
    RENEW_DEADLINE_SECONDS: seconds(10),
    RETRY_PERIOD_SECONDS: seconds(2),
    METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
    MAX_CONCURRENT_RECONCILES: z.coerce.number().int().min(1).max(100).default(4),
    SHUTDOWN_TIMEOUT_SECONDS: seconds(OPERATOR_SHUTDOWN.drainSeconds),
    /** How long a changed Secret takes to reach the pods' files (kubelet sync period + cache) and be reloaded. */
    KEY_PROPAGATION_SECONDS: seconds(120),
    /** How long clients may cache the API's JWKS (its Cache-Control max-age). */
    JWKS_CACHE_SECONDS: seconds(300),
    /** Clock difference tolerated between the token issuer and verifiers. */
    CLOCK_SKEW_SECONDS: seconds(60),
    /** The image policy: only `repository@sha256:<digest>` images roll out; a tag is refused on status. */
    REQUIRE_IMAGE_DIGEST: z.enum(['true', 'false']).default('false'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    // client-go refuses these too: a leader must be able to renew before its lease runs out.
    if (env.LEASE_DURATION_SECONDS <= env.RENEW_DEADLINE_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEASE_DURATION_SECONDS'],
        message: 'must be greater than RENEW_DEADLINE_SECONDS',
      });
    }
    if (env.RENEW_DEADLINE_SECONDS <= env.RETRY_PERIOD_SECONDS * 1.2) {
      ctx.addIssue({
        code: 'custom',
        path: ['RENEW_DEADLINE_SECONDS'],
        message: 'must be greater than 1.2 × RETRY_PERIOD_SECONDS',
      });
    }
  });

export interface OperatorConfig {
  watchNamespaces: string[];
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    namespace: string;
    identity: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
  metricsPort: number;
  healthPort: number;
  concurrency: number;
  shutdownTimeoutSeconds: number;
  /** What the signing-key rotation waits for besides the spec's durations. */
  rotation: { propagationDelayMs: number; jwksCacheMs: number; clockSkewMs: number };
  /** Only images pinned by digest may roll out. */
  requireImageDigest: boolean;
  logLevel: string;
}

/**
 * When a shutdown that hangs (an API server that never answers the Lease release) is cut short: after
 * the drain and the release's share. The install's terminationGracePeriodSeconds comes later still.
 */
export const forcedExitSeconds = (config: Pick<OperatorConfig, 'shutdownTimeoutSeconds'>): number =>
  config.shutdownTimeoutSeconds + OPERATOR_SHUTDOWN.releaseSeconds;

export class OperatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid operator configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'OperatorConfigError';
  }
}

/** Reads the operator's settings from the environment once; every problem is reported together. */
export function loadOperatorConfig(source: NodeJS.ProcessEnv, hostname: string): OperatorConfig {
  const parsed = environmentSchema.safeParse(source);
  if (!parsed.success) {
    throw new OperatorConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  return {
    watchNamespaces: env.WATCH_NAMESPACES,
    leaderElection: {
      enabled: env.LEADER_ELECTION === 'true',
      leaseName: env.LEASE_NAME,
      namespace: env.POD_NAMESPACE,
      identity: env.POD_NAME ?? hostname,
      leaseDurationSeconds: env.LEASE_DURATION_SECONDS,
      renewDeadlineSeconds: env.RENEW_DEADLINE_SECONDS,
      retryPeriodSeconds: env.RETRY_PERIOD_SECONDS,
    },
    metricsPort: env.METRICS_PORT,
    healthPort: env.HEALTH_PORT,
    concurrency: env.MAX_CONCURRENT_RECONCILES,
    shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS,
    rotation: {
      propagationDelayMs: env.KEY_PROPAGATION_SECONDS * 1000,
      jwksCacheMs: env.JWKS_CACHE_SECONDS * 1000,
      clockSkewMs: env.CLOCK_SKEW_SECONDS * 1000,
    },
    requireImageDigest: env.REQUIRE_IMAGE_DIGEST === 'true',
    logLevel: env.LOG_LEVEL,
  };
}
