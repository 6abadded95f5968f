import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { names, objectMeta, type RenderInput } from './metadata.js';

function utilization(resource: 'cpu' | 'memory', averageUtilization: number) {
  return {
    type: 'Resource',
    resource: { name: resource, target: { type: 'Utilization', averageUtilization } },
  };
}

/**
 * The HorizontalPodAutoscaler owns the replica count (the Deployment has none). Utilization is relative
 * to the requests, which is why the pod always has them.
 */
export function addAutoscaler(scope: Construct, input: RenderInput): ApiObject {
  const { app } = input;
  const { replicas, autoscaling } = app.spec;
  const memory = autoscaling.targetMemoryUtilizationPercentage;
  return new ApiObject(scope, 'autoscaler', {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(input, names(app.name).autoscaler),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names(app.name).deployment },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      metrics: [
        utilization('cpu', autoscaling.targetCPUUtilizationPercentage),
        ...(memory === undefined ? [] : [utilization('memory', memory)]),
      ],
    },
  });
}
