import type { SkeletonAppSpec } from '../spec.js';

/**
 * Pod pieces the Deployment and the migration Job share, so both meet the restricted Pod Security
 * Standard and the same resource budget.
 */

/** The non-root user and group the image runs as; fsGroup makes mounted Secrets readable to it. */
export const RUN_AS = 10001;

export const SCRATCH_VOLUME = 'tmp';

export function podSecurityContext() {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS,
    runAsGroup: RUN_AS,
    fsGroup: RUN_AS,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext() {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** Node writes temp files even with a read-only root; the scratch space counts towards ephemeral storage. */
export function scratchVolume() {
  return { name: SCRATCH_VOLUME, emptyDir: { sizeLimit: '64Mi' } };
}

export function scratchMount() {
  return { name: SCRATCH_VOLUME, mountPath: '/tmp' };
}

/**
 * Requests for scheduling; limits for memory and disk, which cannot be reclaimed. A CPU limit only
 * when asked for: throttling hurts latency more than it protects neighbours, which requests already do.
 */
export function resources(spec: SkeletonAppSpec['resources']) {
  const { requests, limits } = spec;
  return {
    requests: { cpu: requests.cpu, memory: requests.memory, 'ephemeral-storage': requests.ephemeralStorage },
    limits: {
      ...(limits.cpu ? { cpu: limits.cpu } : {}),
      memory: limits.memory,
      'ephemeral-storage': limits.ephemeralStorage,
    },
  };
}

/** An environment variable read from a Secret, so credentials never appear in the manifests. */
export function secretEnv(name: string, ref: { name: string; key: string }) {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}
