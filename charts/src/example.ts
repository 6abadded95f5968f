import { SKELETON_APP_API_VERSION } from './api-group.js';
import type { SkeletonAppSpecInput } from './spec.js';

/** The SkeletonApp of the design document: what a platform engineer writes. */
export const EXAMPLE_SKELETON_APP = {
  apiVersion: SKELETON_APP_API_VERSION,
  kind: 'SkeletonApp',
  metadata: { name: 'accounts', namespace: 'identity' },
  spec: {
    image: 'registry.example.com/skeleton-api:1.4.2',
    replicas: { min: 2, max: 10 },
    autoscaling: { targetCPUUtilizationPercentage: 70 },
    database: { secretRef: { name: 'accounts-db', key: 'url' } },
    redis: { secretRef: { name: 'accounts-redis', key: 'url' } },
    migrations: { backoffLimit: 2, activeDeadlineSeconds: 600 },
    jwt: { rotationInterval: '720h', accessTokenTTL: '15m' },
    monitoring: { serviceMonitor: { enabled: true, interval: '30s' } },
  } satisfies SkeletonAppSpecInput,
};
