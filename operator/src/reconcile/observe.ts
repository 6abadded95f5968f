import type { DeploymentObservation } from '../status/skeleton-app-status.js';

interface DeploymentSpec {
  template?: { spec?: { containers?: { name?: string; image?: string }[] } };
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

/** The container the rendered Deployment runs the API in. */
const API_CONTAINER = 'api';

/** What the status computation needs from a live Deployment, in the shape it expects. */
export function observeDeployment(live: {
  metadata?: { generation?: number };
  spec?: unknown;
  status?: unknown;
}): DeploymentObservation {
  const status = (live.status ?? {}) as DeploymentStatus;
  const containers = (live.spec as DeploymentSpec | undefined)?.template?.spec?.containers ?? [];
  const container = containers.find((candidate) => candidate.name === API_CONTAINER) ?? containers[0];
  const observation: DeploymentObservation = {
    conditions: (status.conditions ?? []).map((condition) => ({
      type: condition.type ?? '',
      status: condition.status ?? 'Unknown',
      ...(condition.reason === undefined ? {} : { reason: condition.reason }),
      ...(condition.message === undefined ? {} : { message: condition.message }),
    })),
  };
  const numbers = {
    generation: live.metadata?.generation,
    observedGeneration: status.observedGeneration,
    replicas: status.replicas,
    readyReplicas: status.readyReplicas,
    updatedReplicas: status.updatedReplicas,
    availableReplicas: status.availableReplicas,
  };
  for (const [field, value] of Object.entries(numbers)) {
    if (value !== undefined) (observation as Record<string, unknown>)[field] = value;
  }
  if (container?.image !== undefined) observation.image = container.image;
  return observation;
}
